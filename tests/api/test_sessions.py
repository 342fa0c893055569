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


def test_cycle_key_deletes_the_old_row_in_one_statement():
    store = SessionStore()
    store["k"] = "v"
    store.create()
    old_key = store.session_key
    with CaptureQueriesContext(connection) as queries:
        store.cycle_key()
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 1
    assert not any(q["sql"].startswith("SELECT") for q in queries.captured_queries)
    assert not SessionStore().exists(old_key) and SessionStore().exists(store.session_key)
    assert SessionStore(store.session_key).load() == {"k": "v"}


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
