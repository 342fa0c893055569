"""GitHub sign-in over the API, with GitHub mocked at the HTTP layer (`responses`).

The end-to-end versions against the sandbox are in tests/e2e/test_github_e2e.py.
"""

import hashlib
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken

from integrations.models import GitHubAccount, OAuthFlow
from tests.fixtures.github import (
    ACCESS_TOKEN,
    API,
    GITHUB,
    REFRESH_TOKEN,
    assert_error,
    callback,
    emails,
    mock_sign_in,
    profile,
    sign_in,
    start,
)

pytestmark = pytest.mark.django_db

# --- authorize ------------------------------------------------------------------------------


def test_authorize_returns_github_url_with_state_and_s256_challenge(api_client, settings):
    body = start(api_client)
    url = urlsplit(body["authorize_url"])
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{GITHUB}/login/oauth/authorize"
    assert query["client_id"] == [settings.GITHUB_CLIENT_ID]
    assert query["redirect_uri"] == [settings.PUBLIC_URL + "/auth/github/callback"]
    assert query["state"] == [body["state"]]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["state"])
    assert query["code_challenge_method"] == ["S256"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", query["code_challenge"][0])
    assert query["scope"] == ["read:user user:email"]
    assert "code_verifier" not in body["authorize_url"]
    expires_in = timezone.datetime.fromisoformat(body["expires_at"]) - timezone.now()
    assert timedelta(minutes=9) < expires_in <= timedelta(minutes=10)


def test_states_and_challenges_are_unique_and_unstructured(api_client):
    bodies = [start(api_client) for _ in range(100)]
    states = {b["state"] for b in bodies}
    challenges = {parse_qs(urlsplit(b["authorize_url"]).query)["code_challenge"][0]
                  for b in bodies}
    assert len(states) == len(challenges) == 100


def test_state_is_stored_only_as_a_hash(api_client):
    state = start(api_client)["state"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM integrations_oauthflow")
        rows = cursor.fetchall()
    assert state not in repr(rows)


def test_authorize_requires_csrf_for_browsers(csrf_client):
    response = csrf_client.post("/api/v1/auth/github/authorize", {}, format="json")
    assert_error(response, 403, "csrf_failed")


@pytest.mark.parametrize("body, field", [
    ({"client": "desktop"}, "client"),
    ({"redirect_uri": "https://evil.example/cb"}, "redirect_uri"),
    ({"callback_url": "https://evil.example/cb"}, "callback_url"),
    ({"client": "app", "redirect_uri": "com.evil.app:/cb",
      "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "redirect_uri"),
    ({"client": "app", "redirect_uri": "com.example.app:/oauth2redirect/github"},
     "code_challenge"),
    ({"client": "app", "redirect_uri": "com.example.app:/oauth2redirect/github",
      "code_challenge": "short"}, "code_challenge"),
    ({"client": "app", "redirect_uri": "com.example.app:/oauth2redirect/github/../x",
      "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "redirect_uri"),
])
def test_authorize_rejects_anything_off_the_allow_list(api_client, settings, body, field):
    settings.APP_REDIRECT_URIS = ["com.example.app:/oauth2redirect/github"]
    response = api_client.post("/api/v1/auth/github/authorize", body, format="json")
    assert_error(response, 400, "validation_error")
    assert field in response.json()["fields"]
    assert OAuthFlow.objects.count() == 0


def test_authorize_for_an_app_uses_its_redirect_uri_and_challenge(api_client, settings):
    settings.APP_REDIRECT_URIS = ["com.example.app:/oauth2redirect/github"]
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    body = start(api_client, client="app", redirect_uri=settings.APP_REDIRECT_URIS[0],
                 code_challenge=challenge)
    query = parse_qs(urlsplit(body["authorize_url"]).query)
    assert query["redirect_uri"] == ["com.example.app:/oauth2redirect/github"]
    assert query["code_challenge"] == [challenge]


def test_authorize_is_post_only_and_json_only(api_client):
    assert_error(api_client.get("/api/v1/auth/github/authorize"), 405, "method_not_allowed")
    response = api_client.post("/api/v1/auth/github/authorize", "client=browser",
                               content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")
    response = api_client.post("/api/v1/auth/github/authorize", "{}", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


# --- callback: refusals before any call to GitHub -------------------------------------------


def test_unknown_state_is_refused_without_calling_github(api_client, github):
    start(api_client)
    assert_error(callback(api_client, code="c", state="A" * 43), 400, "state_invalid")
    assert len(github.calls) == 0


def test_expired_state_is_refused_without_calling_github(api_client, github):
    state = start(api_client)["state"]
    OAuthFlow.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(callback(api_client, code="c", state=state), 400, "state_expired")
    assert len(github.calls) == 0


def test_another_sessions_state_is_refused_without_calling_github(api_client, github):
    from rest_framework.test import APIClient

    state = start(api_client)["state"]
    attacker = APIClient()
    assert_error(callback(attacker, code="c", state=state), 400, "state_mismatch")
    start(attacker)  # the attacker has a session of their own: still not theirs
    assert_error(callback(attacker, code="c", state=state), 400, "state_mismatch")
    assert len(github.calls) == 0
    assert attacker.get("/api/v1/me").status_code == 401


def test_reused_state_is_refused_without_a_second_exchange(api_client, github):
    mock_sign_in(github)
    state = start(api_client)["state"]
    assert callback(api_client, code="c", state=state).status_code == 200
    calls = len(github.calls)
    assert_error(callback(api_client, code="c", state=state), 400, "state_used")
    assert len(github.calls) == calls


@pytest.mark.parametrize("body", [
    {"code": "x" * 513},
    {"code": "abc\r\nX-Injected: 1"},
    {"code": "a b"},
    {"code": "caf\u00e9"},
    {"code": 123},
    {"code": []},
    {"code": None},
    {"code": "c", "state": "A" * 42},
    {"code": "c", "state": "A" * 44},
    {"code": "c", "state": "A+/=" * 10 + "AAA"},
    {"code": "c", "extra": "field"},
    {},
])
def test_malformed_callback_input_is_a_400_without_calling_github(api_client, github, body):
    state = start(api_client)["state"]
    response = callback(api_client, **{"state": state, **body})
    assert_error(response, 400, "validation_error")
    assert len(github.calls) == 0


def test_a_non_object_body_is_a_400(api_client):
    response = api_client.post("/api/v1/auth/github/callback", '["a"]',
                               content_type="application/json")
    assert_error(response, 400, "validation_error")


def test_a_body_of_another_media_type_is_a_415_not_a_500(api_client):
    """Found by the schema fuzzer: the failed sign-in's audit read the body again, and DRF's
    second UnsupportedMediaType escaped the exception handler."""
    response = api_client.post("/api/v1/auth/github/callback", '{"code": "c", "state": "s"}',
                               content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_provider_error_is_reported_and_consumes_the_state(api_client, github):
    state = start(api_client)["state"]
    response = callback(api_client, error="access_denied", state=state,
                        error_description="The user has denied your application access.")
    assert_error(response, 400, "access_denied")
    assert response.json()["message"] == "You cancelled the sign-in at GitHub."
    assert "provider_message" not in response.json()
    assert_error(callback(api_client, code="c", state=state), 400, "state_used")
    assert len(github.calls) == 0


def test_app_callback_with_wrong_verifier_is_refused_without_calling_github(
        api_client, github, settings):
    settings.APP_REDIRECT_URIS = ["com.example.app:/oauth2redirect/github"]
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B
    state = start(api_client, client="app", redirect_uri=settings.APP_REDIRECT_URIS[0],
                  code_challenge=challenge)["state"]
    wrong = "x" * 43
    assert_error(callback(api_client, code="c", state=state, code_verifier=wrong),
                 400, "state_mismatch")
    assert_error(callback(api_client, code="c", state=state), 400, "state_mismatch")
    assert len(github.calls) == 0


# --- callback: success --------------------------------------------------------------------


def test_browser_sign_in_creates_the_user_and_a_session(api_client, github, settings):
    response = sign_in(api_client, github)
    assert response.status_code == 200, response.content
    user = response.json()["user"]
    assert user["github"]["login"] == "octocat"
    assert user["github"]["id"] == 583231
    assert user["email"] == "octocat@github.com"
    assert "token" not in response.json()
    assert ACCESS_TOKEN not in response.content.decode()
    assert api_client.get("/api/v1/me").json()["github"]["login"] == "octocat"
    exchange = github.calls[0].request
    sent = parse_qs(exchange.body)
    assert exchange.headers["Accept"] == "application/json"
    assert sent["redirect_uri"] == [settings.PUBLIC_URL + "/auth/github/callback"]
    assert len(sent["code_verifier"][0]) >= 43


def test_sign_in_rotates_the_session_key(api_client, github, settings):
    start(api_client)
    before = api_client.cookies[settings.SESSION_COOKIE_NAME].value
    sign_in(api_client, github)
    after = api_client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before != after
    from rest_framework.test import APIClient

    old = APIClient()
    old.cookies[settings.SESSION_COOKIE_NAME] = before
    assert old.get("/api/v1/me").status_code == 401


def test_tokens_are_encrypted_at_rest(api_client, github):
    sign_in(api_client, github, token_body={
        "access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "expires_in": "28800",
        "refresh_token_expires_in": 15897600, "scope": "", "token_type": "bearer"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_githubaccount")
        stored = cursor.fetchall()
    assert stored and "SENTINEL" not in repr(stored)
    account = GitHubAccount.objects.get()
    assert account.access_token == ACCESS_TOKEN
    assert account.refresh_token == REFRESH_TOKEN


def test_a_returning_sign_in_replaces_the_access_token_and_keeps_an_unrenewed_refresh_token(
        api_client, github):
    """The sign-in writes the stored tokens without reading (decrypting) the old ones: the new
    access token replaces the old, encrypted; a refresh token GitHub did not renew stays."""
    sign_in(api_client, github, token_body={
        "access_token": "gho_SENTINELOLD" + "c" * 25, "refresh_token": REFRESH_TOKEN,
        "expires_in": "28800", "refresh_token_expires_in": 15897600, "scope": "",
        "token_type": "bearer"})
    api_client.post("/api/v1/auth/logout")
    sign_in(api_client, github)  # a token answer without a refresh token
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_githubaccount")
        stored = cursor.fetchall()
    assert len(stored) == 1 and "SENTINEL" not in repr(stored)
    account = GitHubAccount.objects.get()
    assert account.access_token == ACCESS_TOKEN
    assert account.refresh_token == REFRESH_TOKEN


def test_user_is_keyed_by_github_id_and_follows_a_renamed_login(api_client, github):
    first = sign_in(api_client, github).json()["user"]
    api_client.post("/api/v1/auth/logout")
    github.reset()
    second = sign_in(api_client, github, user=profile(login="octocat-renamed")).json()["user"]
    assert second["id"] == first["id"]
    assert second["github"]["login"] == "octocat-renamed"


def test_same_email_never_logs_into_another_account(api_client, github):
    victim = get_user_model().objects.create_user("alice", email="alice@example.com")
    response = sign_in(api_client, github, user=profile(github_id=999, login="mallory"),
                       user_emails=emails("alice@example.com"))
    assert response.status_code == 200
    me = api_client.get("/api/v1/me").json()
    assert me["id"] != victim.pk
    assert not GitHubAccount.objects.filter(user=victim).exists()


def test_email_is_the_primary_verified_one_or_none(api_client, github):
    response = sign_in(api_client, github, user_emails=emails("x@example.com", verified=False))
    assert response.json()["user"]["email"] == ""


def test_staff_logins_become_staff(api_client, github, settings):
    settings.STAFF_GITHUB_LOGINS = ["octocat"]
    assert sign_in(api_client, github).json()["user"]["is_staff"] is True


def test_app_sign_in_returns_an_expiring_api_token(api_client, github, settings):
    settings.APP_REDIRECT_URIS = ["com.example.app:/oauth2redirect/github"]
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    mock_sign_in(github)
    state = start(api_client, client="app", redirect_uri=settings.APP_REDIRECT_URIS[0],
                  code_challenge=challenge)["state"]
    from rest_framework.test import APIClient

    app = APIClient()  # no cookies: the app is bound by its PKCE verifier
    response = callback(app, code="c", state=state, code_verifier=verifier)
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["token"]) >= 32 and body["token_expires_at"]
    assert parse_qs(github.calls[0].request.body)["code_verifier"] == [verifier]
    app.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert app.get("/api/v1/me").status_code == 200
    assert APIClient().get(f"/api/v1/me?token={body['token']}").status_code == 401
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        assert body["token"] not in repr(cursor.fetchall())
    assert app.post("/api/v1/auth/logout").status_code == 204
    assert app.get("/api/v1/me").status_code == 401
    assert AuthToken.objects.count() == 0


def test_bad_verification_code_keeps_githubs_error_code(api_client, github):
    github.post(f"{GITHUB}/login/oauth/access_token", json={
        "error": "bad_verification_code",
        "error_description": "The code passed is incorrect or expired."})
    state = start(api_client)["state"]
    response = callback(api_client, code="c", state=state)
    assert_error(response, 400, "authorization_failed")
    assert api_client.get("/api/v1/me").status_code == 401


def test_github_down_is_a_502_and_nothing_is_created(api_client, github):
    github.post(f"{GITHUB}/login/oauth/access_token", status=502, body="<html>Bad gateway</html>")
    state = start(api_client)["state"]
    assert_error(callback(api_client, code="c", state=state), 502, "provider_unavailable")
    assert get_user_model().objects.count() == 0


def test_user_endpoint_failing_after_exchange_creates_nothing(api_client, github):
    github.post(f"{GITHUB}/login/oauth/access_token",
                json={"access_token": ACCESS_TOKEN, "token_type": "bearer", "scope": ""})
    github.get(f"{API}/user", status=503, body="unavailable")
    github.get(f"{API}/user/emails", json=emails())
    state = start(api_client)["state"]
    response = callback(api_client, code="c", state=state)
    assert response.status_code in (502, 504)
    assert GitHubAccount.objects.count() == 0


def test_callback_is_throttled_even_with_spoofed_forwarded_for(api_client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "oauth_callback": "3/min"}}
    statuses = [
        api_client.post("/api/v1/auth/github/callback", {"code": "c", "state": "A" * 43},
                        format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
        for i in range(5)
    ]
    assert statuses[:3] == [400, 400, 400]
    response = api_client.post("/api/v1/auth/github/callback", {"code": "c", "state": "A" * 43},
                               format="json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert statuses[3:] == [429, 429]


def test_refused_callbacks_are_logged_by_code_without_values(api_client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="api.errors"):
        callback(api_client, code="SENTINELCODE", state="A" * 43)
    assert "POST /api/v1/auth/github/callback refused: state_invalid" in caplog.text
    assert "SENTINELCODE" not in caplog.text and "A" * 43 not in caplog.text


@pytest.mark.parametrize("description", [
    "<img src=x onerror=alert(1)> Visit evil.example to fix",
    "Denied\r\nX-Injected: 1\x1b[0m" + "x" * 400,
])
def test_the_redirects_error_description_is_never_repeated(api_client, description):
    """S37: the error that came back through the browser's URL is anyone's words: our own
    message only, nothing of theirs."""
    state = start(api_client)["state"]
    response = callback(api_client, error="access_denied", state=state,
                        error_description=description)
    body = assert_error(response, 400, "access_denied")
    assert body["message"] == "You cancelled the sign-in at GitHub."
    assert "provider_message" not in body
    assert b"evil" not in response.content and b"Injected" not in response.content


def test_the_pkce_verifier_is_forgotten_once_the_state_is_used(api_client, github):
    sign_in(api_client, github)
    flow = OAuthFlow.objects.get()
    assert flow.consumed_at is not None and flow.code_verifier is None


def test_a_returning_staff_sign_in_costs_these_statements_and_no_more(api_client, github,
                                                                      settings):
    """Issue 14: the callback's database work, pinned. Session read, state consumed (one
    conditional UPDATE), then one transaction: the account with its user and Page permission
    (one SELECT), the account's UPDATE (the user's only when staff or name changed), the old
    session gone (one DELETE), last_login, the new session with its data (one INSERT, no key
    lookup). Nothing is written as the response leaves."""
    from django.test.utils import CaptureQueriesContext

    settings.STAFF_GITHUB_LOGINS = ["583231"]
    assert sign_in(api_client, github).status_code == 200
    api_client.logout()
    mock_sign_in(github)
    state = start(api_client)["state"]
    with CaptureQueriesContext(connection) as queries:
        assert callback(api_client, code="the-code", state=state).status_code == 200
    statements = [q["sql"].split()[0] + " " + _table(q["sql"]) for q in queries.captured_queries
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]
    assert statements == [
        "SELECT django_session", "SELECT integrations_oauthflow",
        "UPDATE integrations_oauthflow",
        "SELECT integrations_githubaccount", "UPDATE integrations_githubaccount",
        "DELETE django_session", "UPDATE auth_user", "INSERT django_session",
    ]


def test_a_browser_authorize_writes_its_session_once_and_its_flow(csrf_client, monkeypatch):
    """A new browser's authorize: the session is stored once, as the response leaves (it was
    inserted by the binding, then updated by the middleware), and the flow is one INSERT."""
    from django.test.utils import CaptureQueriesContext

    import integrations.flows

    monkeypatch.setattr(integrations.flows, "purge_expired_flows_periodically", lambda: 0)
    token = csrf_client.get("/api/v1/auth/csrf").json()["csrf_token"]
    with CaptureQueriesContext(connection) as queries:
        response = csrf_client.post("/api/v1/auth/github/authorize", {}, format="json",
                                    HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201 and response.cookies["sessionid"].value
    statements = [q["sql"].split()[0] + " " + _table(q["sql"]) for q in queries.captured_queries
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]
    assert statements == ["INSERT integrations_oauthflow", "INSERT django_session"]
    binding = csrf_client.session["oauth_binding"]  # the stored session holds the binding
    assert OAuthFlow.objects.get().binding_hash == hashlib.sha256(binding.encode()).hexdigest()


def test_a_changed_name_or_staff_status_is_saved_at_sign_in(api_client, github, settings):
    assert sign_in(api_client, github).status_code == 200
    api_client.logout()
    settings.STAFF_GITHUB_LOGINS = ["583231"]
    assert sign_in(api_client, github, user=profile(name="Mona Lisa")).status_code == 200
    user = GitHubAccount.objects.get().user
    assert (user.first_name, user.is_staff) == ("Mona Lisa", True)
    api_client.logout()
    settings.STAFF_GITHUB_LOGINS = []
    assert sign_in(api_client, github, user=profile(name="Mona Lisa")).status_code == 200
    assert get_user_model().objects.get(pk=user.pk).is_staff is False


def _table(sql: str) -> str:
    """The statement's own table (subqueries in parentheses set aside)."""
    while (outer := re.sub(r"\([^()]*\)", "", sql)) != sql:
        sql = outer
    found = re.search(r'(?:FROM|UPDATE|INTO)\s+"(\w+)"', sql)
    return found.group(1) if found else "?"
