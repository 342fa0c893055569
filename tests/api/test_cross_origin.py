"""The API called by a browser SPA on another origin: CORS allow-list, CSRF origin, /auth/csrf."""

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from backend.conf.cors import browser_settings, cookie_name
from tests.fixtures.github import GITHUB

pytestmark = pytest.mark.django_db

SPA = "http://app.example.test:8080"
OTHER = "https://evil.example.net"
AUTHORIZE = "/api/v1/auth/github/authorize"


@pytest.fixture
def spa_elsewhere(settings):
    settings.SPA_URL = SPA
    settings.CORS_ALLOWED_ORIGINS = [SPA]
    settings.CSRF_TRUSTED_ORIGINS = [settings.PUBLIC_URL, SPA]


def csrf_token(client, origin=SPA) -> str:
    response = client.get("/api/v1/auth/csrf", HTTP_ORIGIN=origin)
    assert response.status_code == 200
    return response.json()["csrf_token"]


def test_csrf_endpoint_gives_a_token_and_its_cookie_to_a_client_that_never_loaded_the_shell(
        csrf_client, settings):
    response = csrf_client.get("/api/v1/auth/csrf")
    assert response.status_code == 200
    assert set(response.json()) == {"csrf_token"}
    assert settings.CSRF_COOKIE_NAME in response.cookies
    assert "no-store" in response["Cache-Control"]
    token = response.json()["csrf_token"]
    answer = csrf_client.post(AUTHORIZE, {}, format="json", HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 201
    assert answer.json()["authorize_url"].startswith(GITHUB)


def test_without_the_token_the_post_is_refused(csrf_client):
    csrf_client.get("/api/v1/auth/csrf")
    answer = csrf_client.post(AUTHORIZE, {}, format="json")
    assert answer.status_code == 403
    assert answer.json()["code"] == "csrf_failed"


def test_listed_origin_gets_credentialed_cors_headers_and_its_post_passes(
        csrf_client, spa_elsewhere):
    token = csrf_token(csrf_client)
    answer = csrf_client.post(AUTHORIZE, {}, format="json", HTTP_ORIGIN=SPA,
                              HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 201
    assert answer["Access-Control-Allow-Origin"] == SPA
    assert answer["Access-Control-Allow-Credentials"] == "true"
    assert "Retry-After" in answer["Access-Control-Expose-Headers"]
    assert "origin" in answer["Vary"].lower()


def test_preflight_from_a_listed_origin_is_cached(csrf_client, spa_elsewhere, settings):
    answer = csrf_client.options(AUTHORIZE, HTTP_ORIGIN=SPA,
                                 HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                                 HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-csrftoken")
    post = csrf_client.options("/api/v1/facebook/page/posts", HTTP_ORIGIN=SPA,
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="idempotency-key")
    assert answer.status_code == 200
    assert answer["Access-Control-Allow-Origin"] == SPA
    assert answer["Access-Control-Max-Age"] == str(settings.CORS_PREFLIGHT_MAX_AGE)
    assert "x-csrftoken" in answer["Access-Control-Allow-Headers"]
    assert "idempotency-key" in post["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("origin", [OTHER, "null", SPA + ".evil.example.net",
                                    "https://app.example.test:8080"])
def test_unlisted_origin_gets_no_cors_headers_and_its_credentialed_post_fails(
        csrf_client, spa_elsewhere, origin):
    # Even with a valid token and cookie (as if stolen), Django's Origin check refuses it, and
    # without CORS headers the browser would not let the page read any answer anyway.
    fetched = csrf_client.get("/api/v1/auth/csrf", HTTP_ORIGIN=origin)
    token = fetched.json()["csrf_token"]
    preflight = csrf_client.options(AUTHORIZE, HTTP_ORIGIN=origin,
                                    HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    answer = csrf_client.post(AUTHORIZE, {}, format="json", HTTP_ORIGIN=origin,
                              HTTP_X_CSRFTOKEN=token)
    me = csrf_client.get("/api/v1/me", HTTP_ORIGIN=origin)
    for response in (fetched, preflight, answer, me):
        assert not any(h.lower().startswith("access-control-") for h in response.headers)
    assert answer.status_code == 403
    assert answer.json()["code"] == "csrf_failed"


def test_the_csrf_endpoint_is_in_the_schema(api_client):
    schema = api_client.get("/api/v1/schema?format=json").json()
    operation = schema["paths"]["/api/v1/auth/csrf"]["get"]
    assert operation["operationId"] == "auth_csrf"
    assert operation.get("security", []) in ([], [{}])  # no credentials needed
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["required"] == ["csrf_token"]


def test_cors_covers_the_api_only(client, spa_elsewhere):
    page = client.get("/", HTTP_ORIGIN=SPA)
    assert page.status_code == 200
    assert "Access-Control-Allow-Origin" not in page


def test_redirect_uris_point_at_the_spa(api_client, spa_elsewhere):
    from integrations.services.authorization import FACEBOOK, GITHUB

    assert GITHUB.browser_redirect_uri() == SPA + "/auth/github/callback"
    assert FACEBOOK.browser_redirect_uri() == SPA + "/facebook/callback"


# --- settings for each deployment shape --------------------------------------------------------


def read(monkeypatch, secure=True, **variables):
    for name in ("SPA_URL", "CORS_ALLOWED_ORIGINS", "CSRF_TRUSTED_ORIGINS", "COOKIE_SAMESITE",
                 "SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN", "SESSION_COOKIE_SECURE",
                 "CSRF_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return browser_settings(environ.Env(), public_url="https://api.example.com", secure=secure)


def test_same_origin_keeps_host_prefixed_lax_cookies(monkeypatch):
    conf = read(monkeypatch)
    assert conf["SPA_URL"] == ""
    assert conf["CORS_ALLOWED_ORIGINS"] == []
    assert conf["CSRF_TRUSTED_ORIGINS"] == ["https://api.example.com"]
    assert conf["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert conf["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert conf["SESSION_COOKIE_SAMESITE"] == conf["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert conf["SESSION_COOKIE_DOMAIN"] is None


def test_csrf_trusted_origins_follow_the_spa_and_the_cors_list(monkeypatch):
    conf = read(monkeypatch, SPA_URL="https://app.example.com/",
                CORS_ALLOWED_ORIGINS="https://app.example.com,https://admin.example.com/x")
    assert conf["SPA_URL"] == "https://app.example.com"
    assert conf["CORS_ALLOWED_ORIGINS"] == ["https://app.example.com",
                                            "https://admin.example.com"]
    assert conf["CSRF_TRUSTED_ORIGINS"] == ["https://api.example.com", "https://app.example.com",
                                            "https://admin.example.com"]


def test_the_spa_origin_is_allowed_without_repeating_it(monkeypatch):
    conf = read(monkeypatch, SPA_URL="https://app.example.com/spa")
    assert conf["CORS_ALLOWED_ORIGINS"] == ["https://app.example.com"]
    same = read(monkeypatch, SPA_URL="https://api.example.com")
    assert same["CORS_ALLOWED_ORIGINS"] == []
    assert same["CSRF_TRUSTED_ORIGINS"] == ["https://api.example.com"]


def test_a_cookie_domain_falls_back_to_the_secure_prefix(monkeypatch):
    conf = read(monkeypatch, SESSION_COOKIE_DOMAIN="example.com")
    assert conf["SESSION_COOKIE_DOMAIN"] == "example.com"
    assert conf["SESSION_COOKIE_NAME"] == "__Secure-sessionid"
    assert conf["CSRF_COOKIE_NAME"] == "__Host-csrftoken"


def test_cross_site_needs_secure_cookies(monkeypatch):
    assert read(monkeypatch, COOKIE_SAMESITE="None")["SESSION_COOKIE_SAMESITE"] == "None"
    with pytest.raises(ImproperlyConfigured, match="Secure"):
        read(monkeypatch, secure=False, COOKIE_SAMESITE="None")
    with pytest.raises(ImproperlyConfigured, match="COOKIE_SAMESITE"):
        read(monkeypatch, COOKIE_SAMESITE="lax-ish")


def test_origins_must_be_http_urls(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="Not an http"):
        read(monkeypatch, CORS_ALLOWED_ORIGINS="app.example.com")


def test_insecure_cookies_carry_no_prefix():
    assert cookie_name("csrftoken", secure=False, domain="example.com") == "csrftoken"
