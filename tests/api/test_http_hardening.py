"""Headers and host handling that every API answer relies on (SECURITY S40, S41, S44)."""

import pytest
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

from tests.fixtures.assertions import assert_error

pytestmark = pytest.mark.django_db


def test_api_answers_are_never_cached(api_client):
    for path in ("/api/v1/health", "/api/v1/me", "/api/v1/nothing"):
        assert "no-store" in api_client.get(path)["Cache-Control"], path


def test_cors_is_closed(api_client):
    for origin in ("https://evil.example", "null", "http://127.0.0.1:8000.evil.example"):
        preflight = api_client.options("/api/v1/me", HTTP_ORIGIN=origin,
                                       HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
        response = api_client.get("/api/v1/me", HTTP_ORIGIN=origin)
        for answer in (preflight, response):
            assert "Access-Control-Allow-Origin" not in answer
            assert "Access-Control-Allow-Credentials" not in answer


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/v1/auth/github/authorize"), ("get", "/api/v1/health"), ("get", "/"),
    ("get", "/admin/"), ("get", "/metrics")])
def test_unknown_host_is_refused_in_the_json_error_shape(api_client, method, path):
    """Issue 23: not Django's HTML 400 page."""
    response = getattr(api_client, method)(path, HTTP_HOST="evil.example")
    body = assert_error(response, 400, "host_not_allowed")
    assert "evil.example" not in body["message"] and b"<" not in response.content


def test_forwarded_host_never_changes_the_redirect_uri(api_client, settings):
    response = api_client.post("/api/v1/auth/github/authorize", {}, format="json",
                               HTTP_X_FORWARDED_HOST="evil.example")
    assert "evil.example" not in response.json()["authorize_url"]
    assert (settings.PUBLIC_URL + "/auth/github/callback").replace(":", "%3A").replace(
        "/", "%2F") in response.json()["authorize_url"]


def test_api_answers_carry_nosniff_and_frame_denial(api_client):
    response = api_client.get("/api/v1/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_state_lifetime_is_at_most_ten_minutes(settings):
    assert settings.OAUTH_STATE_TTL_S <= 600


def test_api_answers_carry_the_headers_django_uses_to_forbid_caching(api_client):
    """The same headers as `add_never_cache_headers`, written directly (api.middleware)."""
    expected = HttpResponse()
    add_never_cache_headers(expected)
    response = api_client.get("/api/v1/health")
    assert response["Cache-Control"] == expected["Cache-Control"]
    assert "Expires" in response
