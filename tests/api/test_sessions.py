"""backend.sessions: Django's database sessions without the key pre-check and with one DELETE.
A colliding key must never take over (or overwrite) someone else's session."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend import sessions
from backend.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_settings_use_it():
    from django.conf import settings

    assert settings.SESSION_ENGINE == "backend.sessions"


def test_a_new_session_is_one_insert():
    store = SessionStore()
    store["k"] = "v"
    with CaptureQueriesContext(connection) as queries:
        store.create()
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements.count("INSERT") == 1 and "SELECT" not in statements
    assert SessionStore(store.session_key).load() == {"k": "v"}


def test_a_colliding_key_draws_again_and_leaves_the_other_session_alone(monkeypatch):
    victim = SessionStore()
    victim["_auth_user_id"] = "42"
    victim.create()
    drawn = iter([victim.session_key, "a" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda *args: next(drawn))
    attacker = SessionStore()
    attacker["k"] = "attacker"
    attacker.create()
    assert attacker.session_key == "a" * 32
    assert SessionStore(victim.session_key).load() == {"_auth_user_id": "42"}


def test_cycle_key_deletes_the_old_row_in_one_statement_and_save_inserts_the_new_one():
    store = SessionStore()
    store["k"] = "v"
    store.create()
    old_key = store.session_key
    with CaptureQueriesContext(connection) as queries:
        store.cycle_key()
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["DELETE"]
    assert not SessionStore().exists(old_key)
    store["user"] = "1"
    with CaptureQueriesContext(connection) as queries:
        store.save()
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements.count("INSERT") == 1 and "UPDATE" not in statements
    assert store.session_key not in (None, old_key)
    assert SessionStore(store.session_key).load() == {"k": "v", "user": "1"}


def test_saving_what_this_store_just_wrote_writes_nothing():
    store = SessionStore()
    store["k"] = {"list": [1]}
    store.save()
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert queries.captured_queries == []
    store["k"]["list"].append(2)  # a change inside a value is still a change
    store.save()
    assert SessionStore(store.session_key).load() == {"k": {"list": [1, 2]}}


def test_a_session_loaded_from_the_database_is_saved_again():
    """Only what this store wrote itself is skipped: a re-save (new expiry) still writes."""
    store = SessionStore()
    store["k"] = "v"
    store.save()
    loaded = SessionStore(store.session_key)
    assert loaded["k"] == "v"
    with CaptureQueriesContext(connection) as queries:
        loaded.save()
    assert [q["sql"].split()[0] for q in queries.captured_queries if "session" in q["sql"]] \
        == ["UPDATE"]


def test_delete_without_a_key_is_a_no_op():
    SessionStore().delete()


def test_a_session_is_read_with_one_select_and_expired_ones_are_not():
    store = SessionStore()
    store["k"] = "v"
    store.create()
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(store.session_key).load() == {"k": "v"}
    assert len(queries.captured_queries) == 1
    store.set_expiry(-1)
    store.save()
    expired = SessionStore(store.session_key)
    assert expired.load() == {}
    assert expired.session_key is None  # as Django's: an expired key is not reused


def test_an_unknown_or_missing_key_reads_nothing():
    assert SessionStore("x" * 32).load() == {}
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(None).load() == {}
    assert queries.captured_queries == []
