"""A lost database answers 503 `database_unavailable` with Retry-After, logged once per outage.

In process, with the database's cursor failing as a restarted PostgreSQL makes it fail; the
real restart is tests/deploy/test_database_restart.py."""

import logging
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError
from django.db.backends.signals import connection_created
from rest_framework.test import APIClient

from api import database_outage

pytestmark = pytest.mark.django_db
OUTAGE_LOGGER = "api.database_outage"


@pytest.fixture(autouse=True)
def _fresh_outage(monkeypatch):
    monkeypatch.setattr(database_outage, "outage", database_outage.OutageLog())
    connection_created.connect(database_outage.outage.reconnected, dispatch_uid="test-outage")
    yield
    connection_created.disconnect(dispatch_uid="test-outage")


def database_down(exc=None):
    return mock.patch("django.db.backends.utils.CursorWrapper.execute",
                      side_effect=exc or OperationalError("terminating connection due to "
                                                          "administrator command"))


def assert_unavailable(response):
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    body = response.json()
    assert (body["code"], body["retry_after"]) == ("database_unavailable", 5)
    assert body["request_id"] == response["X-Request-ID"]


def signed_in_by_session():
    client = APIClient()
    client.force_login(get_user_model().objects.create_user("octo"))
    return client


def test_a_session_read_from_a_lost_database_is_a_503_not_a_500(caplog):
    # The session store loads inside `except AttributeError`: today's confusing traceback.
    client = signed_in_by_session()
    with caplog.at_level(logging.INFO), database_down():
        responses = [client.get("/api/v1/me") for _ in range(3)]
    for response in responses:
        assert_unavailable(response)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING
                and r.name != "oauth_bridge.access"]  # one access line per request, as always
    assert [r.name for r in warnings] == [OUTAGE_LOGGER], [r.getMessage() for r in warnings]
    assert "OperationalError" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not any(r.exc_info for r in caplog.records)
    assert "AttributeError" not in caplog.text and "Traceback" not in caplog.text


def test_an_api_token_checked_against_a_lost_database_is_a_503(caplog):
    client = APIClient()
    with database_down(InterfaceError("connection already closed")):
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Token " + "a" * 64)
    assert_unavailable(response)


def test_the_admin_outside_drf_answers_the_same_503():
    client = signed_in_by_session()
    with database_down():
        assert_unavailable(client.get("/admin/"))


def test_a_lost_database_in_a_middleware_is_the_503_too(rf):
    from backend.urls import handler500
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = handler500(rf.get("/api/v1/me"))
    assert response.status_code == 503 and response["Retry-After"] == "5"


def test_other_database_errors_stay_500s():
    from backend.urls import handler500
    try:
        raise ValueError("a bug")
    except ValueError:
        assert handler500(None).status_code == 500


def test_the_outage_is_logged_once_and_its_end_once(caplog):
    now = [100.0]
    outage = database_outage.outage
    outage.clock = lambda: now[0]
    with caplog.at_level(logging.INFO, logger=OUTAGE_LOGGER):
        connection_created.send(sender=None, connection=None)  # no outage yet: nothing
        outage.lost(OperationalError("down"))
        now[0] += 2
        outage.lost(OperationalError("still down"))
        connection_created.send(sender=None, connection=None)
        outage.lost(OperationalError("the database system is starting up"))  # same restart
        connection_created.send(sender=None, connection=None)
        now[0] += database_outage.OUTAGE_GAP_S + 1
        outage.lost(OperationalError("down again"))  # a new outage
    messages = [r.getMessage() for r in caplog.records if r.name == OUTAGE_LOGGER]
    assert len(messages) == 3, messages
    assert "database unavailable (OperationalError: down)" in messages[0]
    assert messages[1] == "database available again after 2.0 s"
    assert "down again" in messages[2]
