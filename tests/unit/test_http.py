"""The HTTP choke point: timeouts, GET-only retries, error mapping, size cap, no secrets leaked."""

import logging

import pytest
import requests
from responses import matchers
from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError

from integrations.errors import BadProviderResponse, ProviderTimeout, ProviderUnavailable
from integrations.http import USER_AGENT, HttpClient, build_retry, build_session

URL = "https://provider.test/thing"
SECRET_URL = "https://provider.test/thing?access_token=SENTINELTOKEN"


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(session=build_session(backoff_s=0), timeout_s=(1.5, 4.0))


def test_every_call_has_connect_read_timeout_no_redirects_and_user_agent(client, rsps):
    rsps.get(URL, json={}, match=[
        matchers.request_kwargs_matcher({"timeout": (1.5, 4.0), "stream": True}),
        matchers.header_matcher({"User-Agent": USER_AGENT}),
    ])
    response = client.send("GET", URL)
    assert response.status == 200


def test_redirect_is_not_followed_and_is_a_bad_response(client, rsps):
    rsps.get(URL, status=302, headers={"Location": "https://elsewhere.test/"})
    with pytest.raises(BadProviderResponse):
        client.send("GET", URL)
    assert len(rsps.calls) == 1


@pytest.mark.parametrize(
    "exc", [requests.exceptions.ReadTimeout, requests.exceptions.ConnectTimeout]
)
def test_timeouts_become_provider_timeout(client, rsps, exc):
    rsps.get(URL.split("?")[0], body=exc("GET " + SECRET_URL))
    with pytest.raises(ProviderTimeout) as info:
        client.send("GET", SECRET_URL)
    assert info.value.status == 504
    assert "SENTINELTOKEN" not in str(info.value) + repr(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_connection_error_becomes_provider_unavailable_without_the_url(client, rsps):
    rsps.get(URL, body=requests.exceptions.ConnectionError("refused " + SECRET_URL))
    with pytest.raises(ProviderUnavailable) as info:
        client.send("GET", SECRET_URL)
    assert not isinstance(info.value, ProviderTimeout)
    assert "SENTINELTOKEN" not in str(info.value) + repr(info.value)


def test_read_timeout_while_streaming_the_body_is_a_timeout(client, rsps):
    wrapped = requests.exceptions.ConnectionError(ReadTimeoutError(None, URL, "read timed out"))
    rsps.get(URL, body=wrapped)
    with pytest.raises(ProviderTimeout):
        client.send("GET", URL)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_send_json_maps_5xx_to_unavailable(client, rsps, status):
    rsps.post(URL, status=status, json={"message": "boom"})
    with pytest.raises(ProviderUnavailable):
        client.send_json("POST", URL)


@pytest.mark.parametrize("body,ctype", [
    ("<!DOCTYPE html><html><body>Unicorn!</body></html>", "text/html; charset=utf-8"),
    ("<html>maintenance</html>", "application/json"),
    ("not json at all", "text/plain"),
    ('{"truncated": ', "application/json"),
])
def test_html_or_non_json_body_is_unavailable(client, rsps, body, ctype):
    rsps.get(URL, body=body, content_type=ctype)
    with pytest.raises(ProviderUnavailable):
        client.send_json("GET", URL)


def test_empty_body_parses_as_none(client, rsps):
    rsps.delete(URL, status=204)
    response, body = client.send_json("DELETE", URL)
    assert response.status == 204 and body is None


def test_response_size_is_capped(client, rsps):
    client.max_response_bytes = 1000
    rsps.get(URL, body="x" * 5000, content_type="application/json",
             auto_calculate_content_length=False)
    with pytest.raises(ProviderUnavailable, match="too large"):
        client.send("GET", URL)


def test_declared_oversized_content_length_is_refused_before_reading(client, rsps):
    client.max_response_bytes = 10
    rsps.get(URL, body="x" * 50, auto_calculate_content_length=True)
    with pytest.raises(ProviderUnavailable, match="too large"):
        client.send("GET", URL)


def test_get_is_retried_on_503_then_succeeds(client, rsps):
    rsps.get(URL, status=503)
    rsps.get(URL, json={"ok": True})
    _response, body = client.send_json("GET", URL)
    assert body == {"ok": True}
    assert len(rsps.calls) == 2


def test_get_gives_up_after_the_retry_budget(client, rsps):
    rsps.get(URL, status=502)
    with pytest.raises(ProviderUnavailable):
        client.send_json("GET", URL)
    assert len(rsps.calls) == 3  # one try + two retries


@pytest.mark.parametrize("method", ["POST", "DELETE", "PATCH", "PUT"])
def test_non_get_is_never_retried(client, rsps, method):
    rsps.add(method, URL, status=502)
    with pytest.raises(ProviderUnavailable):
        client.send_json(method, URL)
    assert len(rsps.calls) == 1


def test_get_is_not_retried_on_other_errors(client, rsps):
    rsps.get(URL, status=500)
    with pytest.raises(ProviderUnavailable):
        client.send_json("GET", URL)
    assert len(rsps.calls) == 1


def test_retry_policy_never_retries_a_post_connection_error():
    retry = build_retry(retries=3)
    error = NewConnectionError(None, "refused")
    with pytest.raises(MaxRetryError):
        retry.increment("POST", "/login/oauth/access_token", error=error)
    again = retry.increment("GET", "/user", error=error)
    assert again.total == 2


def test_retry_policy_never_retries_a_read_timeout():
    retry = build_retry(retries=3)
    error = ReadTimeoutError(None, "/user", "read timed out")
    for method in ("GET", "POST"):
        with pytest.raises(ReadTimeoutError):
            retry.increment(method, "/user", error=error)


def test_retry_policy_only_retries_get_statuses():
    retry = build_retry()
    assert retry.is_retry("GET", 503)
    assert not retry.is_retry("POST", 503)
    assert not retry.is_retry("GET", 500)
    assert not retry.respect_retry_after_header


def test_pooled_session_never_stores_cookies(client, rsps):
    rsps.get(URL, json={}, headers={"Set-Cookie": "sid=someone-else; Path=/"})
    rsps.get(URL, json={})
    client.send("GET", URL)
    client.send("GET", URL)
    assert "Cookie" not in rsps.calls[1].request.headers
    assert len(client.session.cookies) == 0


def test_logs_name_host_and_path_but_never_the_query(client, rsps, caplog):
    rsps.get(URL, json={})
    with caplog.at_level(logging.DEBUG):
        client.send("GET", SECRET_URL)
    assert "provider.test/thing" in caplog.text
    assert "SENTINELTOKEN" not in caplog.text
