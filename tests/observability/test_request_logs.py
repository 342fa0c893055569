"""Request ids round-trip; JSON log lines carry every field and no token, code or state."""

import io
import json
import logging
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.json import JsonFormatter

from backend.conf.logging import CONTEXT_FIELDS, build_logging
from backend.observability import RequestContextFilter
from integrations.log_redaction import RedactQueryStrings
from tests.fixtures.github import ACCESS_TOKEN, assert_error, callback, sign_in

pytestmark = pytest.mark.django_db
FIELDS = {"timestamp", "level", "logger", "message", *CONTEXT_FIELDS}


@pytest.fixture
def json_log():
    """The root logger also writes through the production JSON formatter and filters."""
    options = {k: v for k, v in build_logging(log_format="json")["formatters"]["json"].items()
               if k != "()"}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**options))
    handler.addFilter(RequestContextFilter())
    handler.addFilter(RedactQueryStrings())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_request_id_is_generated_when_none_is_sent(api_client):
    response = api_client.get("/api/v1/health/live")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert api_client.get("/api/v1/health/live")["X-Request-ID"] != response["X-Request-ID"]


def test_a_sane_inbound_request_id_is_kept(api_client):
    response = api_client.get("/api/v1/health/live", HTTP_X_REQUEST_ID="lb-4f2a.9c_01-z")
    assert response["X-Request-ID"] == "lb-4f2a.9c_01-z"


@pytest.mark.parametrize("inbound", ["short", "x" * 129, "has space in it", "quote\"id-123",
                                     "semi;colon-1234", "ünïcode-12345", ""])
def test_an_unsafe_inbound_request_id_is_replaced(api_client, inbound):
    response = api_client.get("/api/v1/health/live", HTTP_X_REQUEST_ID=inbound)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/no/such/page", "/api/v1/me"])
def test_error_bodies_carry_the_request_id(api_client, path):
    response = api_client.get(path, HTTP_X_REQUEST_ID="trace-me-12345")
    assert response.status_code in (401, 404)
    assert response.json()["request_id"] == "trace-me-12345"


def test_validation_errors_carry_the_request_id(api_client):
    response = api_client.post("/api/v1/auth/github/callback", {"state": "A" * 43},
                               format="json", HTTP_X_REQUEST_ID="trace-me-67890")
    assert_error(response, 400, "validation_error")
    assert response.json()["request_id"] == "trace-me-67890"


def test_json_lines_have_every_field_and_no_secret(api_client, github, json_log):
    sign_in(api_client, github)  # logs the provider calls, the audit record and access lines
    callback(api_client, code="SENTINELCODE", state="SENTINELSTATE" + "A" * 30)
    api_client.get("/auth/github/callback?code=SENTINELQCODE&state=SENTINELQSTATE")
    lines = json_log()
    assert len(lines) >= 6
    for line in lines:
        assert set(line) >= FIELDS, line
        assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"]), line
        assert "SENTINEL" not in json.dumps(line), line
        assert ACCESS_TOKEN not in json.dumps(line)
    access = [line for line in lines if line["logger"] == "oauth_bridge.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("POST", "/api/v1/auth/github/authorize", 201),
        ("POST", "/api/v1/auth/github/callback", 200),
        ("POST", "/api/v1/auth/github/callback", 400),
        ("GET", "/auth/github/callback", 200),
    ]
    assert all(a["duration_ms"] >= 0 and a["client_ip"] == "127.0.0.1" for a in access)
    assert access[1]["user_id"] is not None and access[0]["user_id"] is None


def test_every_line_of_a_request_has_its_id(api_client, github, json_log):
    sign_in(api_client, github)
    lines = json_log()
    provider_calls = [line for line in lines if line["logger"] == "integrations.http"]
    callback_id = [line for line in lines if line["logger"] == "oauth_bridge.access"][1]
    assert len(provider_calls) == 3  # exchange, then /user and /user/emails in worker threads
    assert {line["request_id"] for line in provider_calls} == {callback_id["request_id"]}


def test_client_ip_follows_num_proxies(api_client, json_log, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api_client.get("/api/v1/health/live", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.7")
    (access,) = json_log()
    assert access["client_ip"] == "203.0.113.7"


def test_sign_in_success_and_refusals_are_audit_events(api_client, github, csrf_client,
                                                       json_log):
    sign_in(api_client, github)
    callback(api_client, code="the-code", state="A" * 43)
    callback(api_client, code="x\nFAKE LOG LINE", state="A" * 43)
    csrf_client.post("/api/v1/auth/github/authorize", {}, format="json")
    events = [(line["event"], line["reason"]) for line in json_log() if "event" in line]
    assert events == [("signin", "success"), ("signin", "state_invalid"),
                      ("signin", "validation_error"), ("request_refused", "csrf_failed")]


def test_plain_text_lines_cannot_be_forged_through_the_path(api_client, caplog):
    with caplog.at_level(logging.INFO, logger="oauth_bridge.access"):
        api_client.get("/api/v1/x%0AFAKE%20LOG%20LINE")
    (record,) = [r for r in caplog.records if r.name == "oauth_bridge.access"]
    assert "\n" not in record.getMessage()


def test_lines_outside_a_request_still_have_every_field(json_log):
    logging.getLogger("integrations.test").info("outside")
    (line,) = json_log()
    assert set(line) >= FIELDS and line["request_id"] is None and line["message"] == "outside"


def test_plain_text_stays_the_default(settings):
    assert settings.LOG_FORMAT == "plain"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "plain"


def test_an_unknown_log_format_stops_startup():
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        build_logging(log_format="jsno")
