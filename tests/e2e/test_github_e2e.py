"""GitHub sign-in end to end: real HTTP to the live server, which talks to the sandbox."""

import base64
import hashlib
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from integrations.config import clear_client_cache
from tests.fixtures.worker import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

APP_REDIRECT_URI = "com.example.bridge:/oauth2redirect/github"


class Browser:
    """A `requests.Session` that behaves like the SPA: CSRF cookie from the index page."""

    def __init__(self, base_url: str, csrf_cookie_name: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.csrf_cookie_name = csrf_cookie_name
        self.responses: list[requests.Response] = []
        assert self.http.get(base_url + "/", timeout=10).status_code == 200

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        token = self.http.cookies.get(self.csrf_cookie_name)
        if token and method != "GET":
            headers.setdefault("X-CSRFToken", token)
        response = self.http.request(method, self.base_url + path, headers=headers, timeout=30,
                                     **kwargs)
        self.responses.append(response)
        return response

    def start(self) -> dict:
        response = self.call("POST", "/api/v1/auth/github/authorize", json={})
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def github(sandbox_settings, settings):
    settings.APP_REDIRECT_URIS = [APP_REDIRECT_URI]
    sandbox_settings.register_redirect_uri("github", APP_REDIRECT_URI)
    clear_client_cache()
    yield sandbox_settings
    clear_client_cache()


@pytest.fixture
def browser(live_server, settings):
    return Browser(live_server.url, settings.CSRF_COOKIE_NAME)


def sign_in(browser: Browser, github, user: str = "octocat") -> requests.Response:
    params = github.github_consent(browser.start()["authorize_url"], user=user)
    return browser.call("POST", "/api/v1/auth/github/callback",
                        json={"code": params["code"], "state": params["state"]})


def issued_tokens(github) -> set[str]:
    """Every GitHub token the sandbox saw in an Authorization header or a token answer."""
    tokens = set()
    for entry in github.requests():
        auth = entry.get("headers", {}).get("Authorization", "")
        if auth.startswith(("Bearer ", "token ")):
            tokens.add(auth.split(" ", 1)[1])
    return tokens


def test_browser_signs_in_reads_everything_and_signs_out(browser, github):
    response = sign_in(browser, github)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["github"]["login"] == "octocat"

    me = browser.call("GET", "/api/v1/me").json()
    assert me["github"]["id"] == 583231 and me["email"]

    token = browser.call("GET", "/api/v1/me/github/token").json()
    assert token["valid"] is True and "read:user" in token["scopes"]

    first = browser.call("GET", "/api/v1/me/github/repos").json()
    assert len(first["results"]) == 30 and first["next_page"] == 2
    second = browser.call("GET", "/api/v1/me/github/repos?page=2").json()
    assert second["results"] and second["next_page"] is None
    assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])

    assert browser.call("POST", "/api/v1/auth/logout").status_code == 204
    assert browser.call("GET", "/api/v1/me").status_code == 401


def test_sign_in_costs_two_round_trips_on_pooled_connections(browser, github):
    assert sign_in(browser, github).status_code == 200
    calls = [entry["endpoint"] for entry in github.requests()
             if entry["endpoint"].startswith("github.") and entry["endpoint"] != "github.authorize"]
    assert sorted(calls) == ["github.emails", "github.token", "github.user"]


def test_no_provider_token_in_responses_database_or_logs(browser, github, caplog):
    with caplog.at_level(logging.DEBUG):
        assert sign_in(browser, github).status_code == 200
        browser.call("GET", "/api/v1/me")
        browser.call("GET", "/api/v1/me/github/token")
        browser.call("GET", "/api/v1/me/github/repos")
    tokens = issued_tokens(github)
    assert tokens, "the sandbox saw the token"
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_githubaccount")
        stored = repr(cursor.fetchall())
    for token in tokens:
        assert token not in stored
        assert token not in caplog.text
        for response in browser.responses:
            assert token not in response.text
            assert token not in repr(dict(response.headers))


def test_app_signs_in_with_its_own_pkce_and_gets_an_api_token(live_server, github):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()) \
        .rstrip(b"=").decode()
    app = requests.Session()
    started = app.post(live_server.url + "/api/v1/auth/github/authorize", timeout=10, json={
        "client": "app", "redirect_uri": APP_REDIRECT_URI, "code_challenge": challenge})
    assert started.status_code == 201, started.text
    params = github.github_consent(started.json()["authorize_url"], user="mona")
    done = app.post(live_server.url + "/api/v1/auth/github/callback", timeout=10, json={
        "code": params["code"], "state": params["state"], "code_verifier": verifier})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["user"]["github"]["login"] == "mona"
    assert body["user"]["email"], "mona's primary verified address from /user/emails"
    assert "sessionid" not in done.headers.get("Set-Cookie", "")
    headers = {"Authorization": f"Token {body['token']}"}
    assert requests.get(live_server.url + "/api/v1/me", headers=headers, timeout=10).ok
    assert requests.post(live_server.url + "/api/v1/auth/logout", headers=headers,
                         timeout=10).status_code == 204
    assert requests.get(live_server.url + "/api/v1/me", headers=headers,
                        timeout=10).status_code == 401


def test_app_callback_with_a_wrong_verifier_never_reaches_github(live_server, github):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()) \
        .rstrip(b"=").decode()
    started = requests.post(live_server.url + "/api/v1/auth/github/authorize", timeout=10,
                            json={"client": "app", "redirect_uri": APP_REDIRECT_URI,
                                  "code_challenge": challenge}).json()
    params = github.github_consent(started["authorize_url"])
    response = requests.post(live_server.url + "/api/v1/auth/github/callback", timeout=10, json={
        "code": params["code"], "state": params["state"],
        "code_verifier": secrets.token_urlsafe(48)})
    assert response.status_code == 400 and response.json()["code"] == "state_mismatch"
    assert github.requests("github.token") == []


def test_reused_state_fails_without_a_second_exchange(browser, github):
    params = github.github_consent(browser.start()["authorize_url"])
    body = {"code": params["code"], "state": params["state"]}
    assert browser.call("POST", "/api/v1/auth/github/callback", json=body).status_code == 200
    again = browser.call("POST", "/api/v1/auth/github/callback", json=body)
    assert again.status_code == 400 and again.json()["code"] == "state_used"
    assert len(github.requests("github.token")) == 1


def test_racing_callbacks_exactly_one_wins(browser, github):
    params = github.github_consent(browser.start()["authorize_url"])
    body = {"code": params["code"], "state": params["state"]}
    csrf = browser.http.cookies.get(browser.csrf_cookie_name)
    cookies = browser.http.cookies.get_dict()

    def attempt(_):
        return requests.post(browser.base_url + "/api/v1/auth/github/callback", json=body,
                             cookies=cookies, headers={"X-CSRFToken": csrf}, timeout=30)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(8)))
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(200) == 1, statuses
    assert all(r.json()["code"] == "state_used" for r in results if r.status_code != 200)
    assert len(github.requests("github.token")) == 1


def test_another_browsers_state_is_refused(live_server, settings, github):
    victim = Browser(live_server.url, settings.CSRF_COOKIE_NAME)
    attacker = Browser(live_server.url, settings.CSRF_COOKIE_NAME)
    params = github.github_consent(attacker.start()["authorize_url"])
    response = victim.call("POST", "/api/v1/auth/github/callback",
                           json={"code": params["code"], "state": params["state"]})
    assert response.status_code == 400 and response.json()["code"] == "state_mismatch"
    assert victim.call("GET", "/api/v1/me").status_code == 401
    assert github.requests("github.token") == []


def test_expired_state_is_refused(browser, github):
    from django.utils import timezone

    from integrations.models import OAuthFlow

    params = github.github_consent(browser.start()["authorize_url"])
    OAuthFlow.objects.update(expires_at=timezone.now())
    response = browser.call("POST", "/api/v1/auth/github/callback",
                            json={"code": params["code"], "state": params["state"]})
    assert response.status_code == 400 and response.json()["code"] == "state_expired"
    assert github.requests("github.token") == []


def test_cancel_at_github_is_access_denied(browser, github):
    params = github.github_consent(browser.start()["authorize_url"], decision="cancel")
    assert params["error"] == "access_denied"
    response = browser.call("POST", "/api/v1/auth/github/callback", json={
        "error": params["error"], "error_description": params.get("error_description", ""),
        "state": params["state"]})
    assert response.status_code == 400
    assert response.json()["code"] == "access_denied"
    assert response.json()["message"] == "You cancelled the sign-in at GitHub."  # S37
    assert "provider_message" not in response.json()  # the redirect's words are anyone's


def test_missing_csrf_on_a_cookie_post_is_refused(browser, github):
    response = browser.call("POST", "/api/v1/auth/github/authorize", json={},
                            headers={"X-CSRFToken": "wrong"})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert sign_in(browser, github).status_code == 200
    response = browser.http.post(browser.base_url + "/api/v1/auth/logout", timeout=10)
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert browser.call("GET", "/api/v1/me").status_code == 200


def test_github_down_is_502(browser, github):
    params = github.github_consent(browser.start()["authorize_url"])
    github.fault("github.token", "5xx", count=1)
    response = browser.call("POST", "/api/v1/auth/github/callback",
                            json={"code": params["code"], "state": params["state"]})
    assert response.status_code == 502 and response.json()["code"] == "provider_unavailable"
    assert "Traceback" not in response.text


def test_github_slow_is_504_within_the_client_timeout(browser, github, settings):
    settings.PROVIDER_TIMEOUT_S = (1.0, 1.0)  # part of the client cache key: a new client
    params = github.github_consent(browser.start()["authorize_url"])
    github.fault("github.token", "timeout", count=1, seconds=4)
    started = time.monotonic()
    response = browser.call("POST", "/api/v1/auth/github/callback",
                            json={"code": params["code"], "state": params["state"]})
    assert response.status_code == 504 and response.json()["code"] == "provider_unavailable"
    assert time.monotonic() - started < 3.5
    assert len(github.requests("github.token")) == 1, "a code exchange is never retried"


def test_token_revoked_at_github_shows_invalid(browser, github):
    assert sign_in(browser, github).status_code == 200
    github.fault("github.check_token", "invalid_token", count=1)
    body = browser.call("GET", "/api/v1/me/github/token").json()
    assert body["valid"] is False


def test_expiring_tokens_are_refreshed_with_rotation(browser, github):
    github.config(github_expiring_tokens=True)
    assert sign_in(browser, github).status_code == 200
    github.advance_clock(9 * 3600)  # past the 8-hour access-token lifetime
    from integrations.models import GitHubAccount

    GitHubAccount.objects.update(token_expires_at=GitHubAccount.objects.get().token_expires_at
                                 .replace(year=2000))
    first_refresh = GitHubAccount.objects.get().refresh_token
    response = browser.call("GET", "/api/v1/me/github/repos")
    assert response.status_code == 200, response.text
    assert GitHubAccount.objects.get().refresh_token != first_refresh
    assert len(github.requests("github.token")) == 2  # the exchange, then one refresh


def revocation_settled():
    from integrations.models import GitHubRevocation

    return GitHubRevocation.objects.exclude(status="pending").first()


def test_delete_account_revokes_the_grant_on_the_worker(browser, github, processes):
    worker = processes("worker")
    assert sign_in(browser, github).status_code == 200
    assert browser.call("DELETE", "/api/v1/me").status_code == 204
    assert browser.call("GET", "/api/v1/me").status_code == 401
    revocation = wait_for(revocation_settled, what="the revocation", children=(worker,))
    assert (revocation.status, revocation.attempts) == ("done", 1)
    assert len(github.requests("github.grant")) == 1


def test_the_worker_retries_a_revocation_while_github_is_down(browser, github, settings,
                                                            processes):
    settings.REVOCATION_RETRY_BASE_S = 0.2
    worker = processes("worker")
    assert sign_in(browser, github).status_code == 200
    (token,) = issued_tokens(github)
    github.fault("github.grant", "5xx", count=2)
    assert browser.call("DELETE", "/api/v1/me").status_code == 204
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.count() == 0  # at once, whatever GitHub does
    revocation = wait_for(revocation_settled, what="the retries", children=(worker,))
    assert (revocation.status, revocation.attempts) == ("done", 3)
    assert len(github.requests("github.grant")) == 3
    answer = requests.get(github.github_api_url + "/user", timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401  # the grant is gone at GitHub
    assert token not in worker.output()


def test_a_revocation_ends_visibly_when_its_retries_run_out(browser, github, settings,
                                                           processes):
    settings.REVOCATION_RETRY_BASE_S = 0.1
    settings.REVOCATION_MAX_ATTEMPTS = 3
    worker = processes("worker")
    assert sign_in(browser, github).status_code == 200
    github.fault("github.grant", "5xx", count=50)
    assert browser.call("DELETE", "/api/v1/me").status_code == 204
    revocation = wait_for(revocation_settled, what="the last retry", children=(worker,))
    assert (revocation.status, revocation.attempts, revocation.last_error) == (
        "failed", 3, "provider_unavailable")
    assert len(github.requests("github.grant")) == 3


def test_an_edited_authorize_url_gets_no_write_scopes_and_the_next_sign_in_is_clean(
        browser, github, processes):
    """Issue 23: a non-staff user adds `repo admin:repo_hook` to the authorize URL. Nothing is
    kept, the worker revokes the grant, and signing in again gets only what is asked (the
    sandbox, like GitHub, would otherwise hand back the union of the earlier grant)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    from integrations.models import GitHubAccount

    url = urlsplit(browser.start()["authorize_url"])
    query = dict(parse_qsl(url.query))
    query["scope"] += " repo admin:repo_hook"
    params = github.github_consent(url._replace(query=urlencode(query)).geturl(), user="mona")
    refused = browser.call("POST", "/api/v1/auth/github/callback",
                           json={"code": params["code"], "state": params["state"]})
    assert refused.status_code == 403 and refused.json()["code"] == "scopes_not_requested"
    assert not GitHubAccount.objects.exists()
    # Before the grant is revoked, GitHub keeps answering with the union: refused again.
    assert sign_in(browser, github, user="mona").status_code == 403
    worker = processes("worker")
    wait_for(lambda: not revocations_pending(), what="the revocations", children=(worker,))
    response = sign_in(browser, github, user="mona")
    assert response.status_code == 200, response.text
    assert GitHubAccount.objects.get().scope_list == ["read:user", "user:email"]


def revocations_pending() -> bool:
    from integrations.models import GitHubRevocation

    return GitHubRevocation.objects.filter(status="pending").exists()


def test_sign_in_failing_after_the_exchange_revokes_the_fresh_token(browser, github,
                                                                   processes):
    """Issue 16 item 10: /user/emails answers 5xx (every retry) after a good exchange."""
    github.fault("github.emails", "5xx", count=3, status=503)
    response = sign_in(browser, github)
    assert response.status_code == 502 and response.json()["code"] == "provider_unavailable"
    (fresh,) = issued_tokens(github)
    worker = processes("worker")
    wait_for(revocation_settled, what="the revocation", children=(worker,))
    revokes = github.requests("github.revoke_token")
    assert [r["json"]["access_token"] for r in revokes] == [fresh]
    # Dead at GitHub, not merely unstored.
    answer = requests.get(github.github_api_url + "/user", timeout=10,
                          headers={"Authorization": f"Bearer {fresh}"})
    assert answer.status_code == 401
    assert browser.call("GET", "/api/v1/me").status_code in (401, 403)
    # The person can simply sign in again.
    assert sign_in(browser, github).status_code == 200


def test_sandbox_staff_list_by_id_makes_octocat_a_page_manager(browser, github, settings):
    """Issue 16 items 9 and 13: `make run`'s STAFF_GITHUB_LOGINS (octocat's numeric id)."""
    from backend.run_local import sandbox_plan

    django_env, _sandbox_env, _providers = sandbox_plan({})
    settings.STAFF_GITHUB_LOGINS = django_env["STAFF_GITHUB_LOGINS"].split(",")
    assert settings.STAFF_GITHUB_LOGINS == ["583231"]
    assert sign_in(browser, github).status_code == 200
    me = browser.call("GET", "/api/v1/me").json()
    assert me["is_staff"] is True and me["can_manage_facebook_page"] is True
