"""Staff Facebook Page link and posting end to end: real HTTP to the live server, which talks to
the sandbox (Facebook dialog, Graph API). Staff sign in through Django's session machinery."""

import hashlib
import hmac
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client

from tests.fixtures.assertions import assert_error
from tests.fixtures.facebook import page_manager

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SAM_ID, SAM_PAGE = "223344556677889", "1000000000000201"
ALEX_PAGES = ["1000000000000101", "1000000000000102"]
STAFF_ENDPOINTS = [
    ("POST", "/api/v1/facebook/authorize", {}),
    ("POST", "/api/v1/facebook/callback", {"code": "c", "state": "s" * 43}),
    ("GET", "/api/v1/facebook/pages", None),
    ("GET", "/api/v1/facebook/page", None),
    ("PUT", "/api/v1/facebook/page", {"page_id": SAM_PAGE}),
    ("DELETE", "/api/v1/facebook/page", None),
    ("GET", "/api/v1/facebook/page/posts", None),
    ("POST", "/api/v1/facebook/page/posts", {"message": "hi"}),
]


class Browser:
    """A `requests.Session` like the SPA's: session cookie, CSRF cookie from the index page."""

    def __init__(self, base_url, settings, user=None):
        self.base_url = base_url
        self.csrf_cookie_name = settings.CSRF_COOKIE_NAME
        self.http = requests.Session()
        if user is not None:
            client = Client()
            client.force_login(user)
            name = settings.SESSION_COOKIE_NAME
            self.http.cookies.set(name, client.cookies[name].value)
        assert self.http.get(base_url + "/", timeout=10).status_code == 200

    def call(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        token = self.http.cookies.get(self.csrf_cookie_name)
        if token and method != "GET":
            headers.setdefault("X-CSRFToken", token)
        return self.http.request(method, self.base_url + path, headers=headers, timeout=30,
                                 **kwargs)

    def post_to_page(self, body, key):
        return self.call("POST", "/api/v1/facebook/page/posts", json=body,
                         headers={"Idempotency-Key": key})


@pytest.fixture
def staff(live_server, settings, facebook):
    user = page_manager("staffer")
    return Browser(live_server.url, settings, user)


def start(browser):
    response = browser.call("POST", "/api/v1/facebook/authorize", json={})
    assert response.status_code == 201, response.text
    return response.json()


def link(browser, sandbox, user="sam"):
    params = sandbox.facebook_consent(start(browser)["authorize_url"], user=user)
    response = browser.call("POST", "/api/v1/facebook/callback",
                            json={"code": params["code"], "state": params["state"]})
    assert response.status_code == 200, response.text
    return response.json()


def presented_token(entry):
    auth = entry["headers"].get("Authorization") or entry["headers"].get("authorization") or ""
    if auth.startswith("OAuth "):
        return auth.removeprefix("OAuth ")
    return entry["form"].get("access_token")


# --- linking --------------------------------------------------------------------------------


def test_link_with_one_page_selects_it_and_shows_validity(staff, facebook, settings):
    state = link(staff, facebook, user="sam")
    assert state["linked"] and state["page_selected"]
    assert state["page"]["id"] == SAM_PAGE and state["facebook_user_id"] == SAM_ID
    assert facebook.requests("facebook.token")[0]["form"]["redirect_uri"] == \
        settings.PUBLIC_URL + "/facebook/callback"

    cache.clear()
    body = staff.call("GET", "/api/v1/facebook/page").json()
    assert body["token"]["valid"] is True and body["page_token"]["valid"] is True
    assert body["token"]["expires_at"] and body["token"]["data_access_expires_at"]
    assert body["page_token"]["expires_at"] is None  # from a long-lived user token: never
    assert body["token"]["missing_scopes"] == [] and body["relink_needed"] is False
    assert "access_token" not in str(body)

    # S29: every Graph call made with a user or Page token carries a matching appsecret_proof.
    with_token = [e for e in facebook.requests() if e["endpoint"].startswith("facebook.")
                  and e["endpoint"] not in ("facebook.dialog", "facebook.token",
                                            "facebook.debug_token")]
    assert with_token
    for entry in with_token:
        token = presented_token(entry)
        proof = entry["query"].get("appsecret_proof") or entry["form"].get("appsecret_proof")
        assert token and proof == hmac.new(settings.FACEBOOK_APP_SECRET.encode(),
                                           token.encode(), hashlib.sha256).hexdigest()


def test_link_with_two_pages_lets_staff_pick_one(staff, facebook):
    state = link(staff, facebook, user="alex")
    assert state["linked"] and not state["page_selected"]
    assert sorted(p["id"] for p in state["pages"]) == ALEX_PAGES

    pages = staff.call("GET", "/api/v1/facebook/pages").json()["results"]
    assert sorted(p["id"] for p in pages) == ALEX_PAGES
    assert_error(staff.post_to_page({"message": "too early"}, "early"), 409, "not_linked")

    assert_error(staff.call("PUT", "/api/v1/facebook/page", json={"page_id": SAM_PAGE}),
                 400, "page_not_manageable")
    chosen = staff.call("PUT", "/api/v1/facebook/page", json={"page_id": ALEX_PAGES[1]})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["page"]["id"] == ALEX_PAGES[1] and chosen.json()["page_selected"]
    posted = staff.post_to_page({"message": "Hello from Alex's photography"}, "alex-1")
    assert posted.status_code == 201, posted.text
    assert facebook.posts()[0]["page_id"] == ALEX_PAGES[1]


def test_cancel_at_the_dialog_is_access_denied(staff, facebook):
    params = facebook.facebook_consent(start(staff)["authorize_url"], user="sam",
                                       decision="cancel")
    assert params["error"] == "access_denied"
    response = staff.call("POST", "/api/v1/facebook/callback", json={
        key: params[key] for key in ("error", "error_reason", "error_description", "state")})
    body = assert_error(response, 400, "access_denied")
    # S37: our words in `message`; the redirect's description (anyone's words) not at all.
    assert body["message"] == "The Facebook dialog was cancelled."
    assert "provider_message" not in body
    assert facebook.requests("facebook.token") == []
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is False


def test_expired_code_is_refused_and_nothing_is_linked(staff, facebook):
    params = facebook.facebook_consent(start(staff)["authorize_url"], user="sam")
    facebook.advance_clock(11 * 60)
    response = staff.call("POST", "/api/v1/facebook/callback",
                          json={"code": params["code"], "state": params["state"]})
    assert_error(response, 400, "authorization_failed")
    assert "This authorization code has expired" not in response.text  # S37: our words
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is False


def test_graph_throttling_on_a_post_answers_our_words_and_then_backs_off(staff, facebook,
                                                                         settings):
    """Items 6 and 7 end to end: Facebook's "(#4) …" text never reaches `message`; its usage
    headers (100 %) make the next call wait without reaching Facebook."""
    settings.PAGE_POST_MAX_ATTEMPTS = 1  # no background retry: the error is answered at once
    link(staff, facebook, user="sam")
    facebook.fault("facebook.feed", "rate_limit", count=1, code=4)
    response = staff.post_to_page({"message": "throttled"}, "rl-1")
    body = assert_error(response, 429, "provider_rate_limited")
    assert "(#4)" not in response.text and "request limit reached" not in response.text
    assert int(response.headers["Retry-After"]) >= 1
    assert post_outcome("rl-1") == ("failed", "provider_rate_limited")
    sent = len(facebook.requests("facebook.feed"))
    again = staff.post_to_page({"message": "too soon"}, "rl-2")
    assert_error(again, 429, "provider_rate_limited")
    assert len(facebook.requests("facebook.feed")) == sent  # backed off before calling
    assert staff.call("GET", "/api/v1/facebook/page").json()["budget"]["used_percent"] == 100
    assert body["retry_after"] >= 1


def post_outcome(key):
    from integrations.models import PagePost

    post = PagePost.objects.get(idempotency_key=key)
    return post.status, post.error_code


def test_state_of_another_staff_member_is_refused(staff, facebook, live_server, settings):
    params = facebook.facebook_consent(start(staff)["authorize_url"], user="sam")
    other = Browser(live_server.url, settings,
                    page_manager("other"))
    response = other.call("POST", "/api/v1/facebook/callback",
                          json={"code": params["code"], "state": params["state"]})
    assert_error(response, 400, "state_mismatch")
    assert facebook.requests("facebook.token") == []


def test_token_invalidated_at_facebook_means_relink_needed(staff, facebook):
    link(staff, facebook, user="sam")
    cache.clear()
    facebook.fault("facebook.debug_token", "invalid_token", subcode=460, revoke=True)
    response = staff.call("GET", "/api/v1/facebook/page")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["relink_needed"] is True and body["token"]["valid"] is False


def test_unlink_revokes_at_facebook_and_works_when_facebook_is_down(staff, facebook):
    link(staff, facebook, user="sam")
    assert staff.call("DELETE", "/api/v1/facebook/page").status_code == 204
    assert [e["method"] for e in facebook.requests("facebook.permissions")] == ["DELETE"]
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is False

    link(staff, facebook, user="sam")
    facebook.fault("facebook.permissions", "5xx")
    assert staff.call("DELETE", "/api/v1/facebook/page").status_code == 204
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is False


# --- posting --------------------------------------------------------------------------------


def test_post_and_idempotent_retry_publish_once(staff, facebook):
    link(staff, facebook, user="sam")
    body = {"message": "We shipped!", "link": "https://example.com/release"}
    first = staff.post_to_page(body, "release-1")
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "published"
    retry = staff.post_to_page(body, "release-1")
    assert retry.status_code == 200 and retry.json() == first.json()
    assert len(facebook.requests("facebook.feed")) == 1
    [post] = facebook.posts()
    assert post["id"] == first.json()["facebook_post_id"] and post["message"] == "We shipped!"
    assert_error(staff.post_to_page({"message": "Another text"}, "release-1"), 422,
                 "idempotency_key_reused")

    history = staff.call("GET", "/api/v1/facebook/page/posts").json()
    assert history["count"] == 1 and history["results"][0]["id"] == first.json()["id"]


def test_duplicate_post_is_a_422_with_a_reason_not_a_502(staff, facebook):
    link(staff, facebook, user="sam")
    assert staff.post_to_page({"message": "Same words"}, "dup-1").status_code == 201
    again = staff.post_to_page({"message": "Same words"}, "dup-2")
    body = assert_error(again, 422, "content_rejected")
    assert "duplicate" in body["message"]
    latest = staff.call("GET", "/api/v1/facebook/page/posts").json()["results"][0]
    assert latest["status"] == "failed" and latest["error_code"] == "content_rejected"
    assert "duplicate" in latest["error_message"]


def test_racing_retries_make_exactly_one_graph_call(staff, facebook):
    link(staff, facebook, user="sam")
    facebook.set_latency(300)
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            responses = list(pool.map(
                lambda _: staff.post_to_page({"message": "Race!"}, "race-key"), range(4)))
    finally:
        facebook.set_latency(0)
    # One request sends; the others are told at once that it is in progress (none waits).
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409], \
        [r.text for r in responses]
    for refused in (r for r in responses if r.status_code == 409):
        assert_error(refused, 409, "idempotency_in_progress")
        assert int(refused.headers["Retry-After"]) >= 1
    assert len(facebook.requests("facebook.feed")) == 1
    assert len(facebook.posts()) == 1
    replay = staff.post_to_page({"message": "Race!"}, "race-key")
    assert replay.status_code == 200 and replay.json()["status"] == "published"


def test_scheduled_post(staff, facebook):
    link(staff, facebook, user="sam")
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    response = staff.post_to_page({"message": "Office hours later", "scheduled_at":
                                   when.isoformat()}, "sched-1")
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "scheduled"
    [post] = facebook.posts()
    assert post["scheduled_publish_time"] == int(when.timestamp())
    too_soon = staff.post_to_page({"message": "x", "scheduled_at": (
        datetime.now(UTC) + timedelta(minutes=2)).isoformat()}, "sched-2")
    assert_error(too_soon, 400, "validation_error")
    assert len(facebook.requests("facebook.feed")) == 1


def test_graph_down_with_no_attempts_left_is_502_and_recorded(staff, facebook, settings):
    link(staff, facebook, user="sam")
    settings.PAGE_POST_MAX_ATTEMPTS = 1
    facebook.fault("facebook.feed", "5xx", status=503)
    assert_error(staff.post_to_page({"message": "While down"}, "down-1"), 502,
                 "provider_unavailable")
    latest = staff.call("GET", "/api/v1/facebook/page/posts").json()["results"][0]
    assert latest["status"] == "failed" and latest["error_code"] == "provider_unavailable"


def test_graph_timeout_is_a_202_unknown_never_resent(staff, facebook, settings):
    link(staff, facebook, user="sam")
    settings.PROVIDER_TIMEOUT_S = (2.0, 0.5)
    facebook.fault("facebook.feed", "timeout", seconds=1.5, process=False)
    started = time.monotonic()
    response = staff.post_to_page({"message": "While slow"}, "slow-1")
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "unknown"
    assert "may have been published" in response.json()["error_message"]
    assert time.monotonic() - started < 10
    replay = staff.post_to_page({"message": "While slow"}, "slow-1")
    assert replay.status_code == 200 and replay.json()["id"] == response.json()["id"]
    assert len(facebook.requests("facebook.feed")) == 1, "a retry with the key never reposts"


def test_management_command_posts(staff, facebook):
    link(staff, facebook, user="sam")
    out = StringIO()
    call_command("post_to_page", "Nightly build is green", "--link", "https://example.com/ci",
                 stdout=out)
    [post] = facebook.posts()
    assert post["message"] == "Nightly build is green" and post["page_id"] == SAM_PAGE
    assert "published" in out.getvalue()
    history = staff.call("GET", "/api/v1/facebook/page/posts").json()["results"]
    assert history[0]["source"] == "command"
    connection.close()


# --- Facebook's callbacks -------------------------------------------------------------------


def test_forged_signed_request_is_400_and_a_valid_one_deauthorizes(staff, facebook,
                                                                   live_server):
    link(staff, facebook, user="sam")
    valid = facebook.signed_request(SAM_ID)
    sig, _, payload = valid.partition(".")
    forged = f"{sig}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}"
    url = live_server.url + "/api/v1/facebook/deauthorize"
    for bad in (forged, "garbage", sig + "." + payload + "x", "." + payload):
        response = requests.post(url, data={"signed_request": bad}, timeout=10)
        assert response.status_code == 400, (bad, response.text)
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is True

    # Another Facebook user's valid request, with our user's id injected beside it: no effect.
    other = requests.post(url, data={"signed_request": facebook.signed_request("999"),
                                     "user_id": SAM_ID}, timeout=10)
    assert other.status_code == 200
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is True

    assert requests.post(url, data={"signed_request": valid}, timeout=10).status_code == 200
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is False


def test_stale_future_and_replayed_signed_requests_are_refused(staff, facebook, live_server):
    """S30 (h), issue 16 item 8: Facebook's signature is right, but the request is an hour old,
    dated ahead, or was already processed."""
    link(staff, facebook, user="sam")
    url = live_server.url + "/api/v1/facebook/deauthorize"
    now = int(time.time())
    for issued_at in (now - 3601, now + 600):
        stale = facebook.signed_request(SAM_ID, issued_at=issued_at)
        assert_error(requests.post(url, data={"signed_request": stale}, timeout=10), 400,
                     "signed_request_invalid")
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is True

    captured = facebook.signed_request(SAM_ID, issued_at=now - 5)
    assert requests.post(url, data={"signed_request": captured}, timeout=10).status_code == 200
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is False
    link(staff, facebook, user="sam")
    replay = requests.post(url, data={"signed_request": captured}, timeout=10)
    assert_error(replay, 400, "signed_request_invalid")
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is True


def test_data_deletion_answers_a_status_url_that_works(staff, facebook, live_server):
    link(staff, facebook, user="sam")
    response = requests.post(live_server.url + "/api/v1/facebook/data-deletion",
                             data={"signed_request": facebook.signed_request(SAM_ID)},
                             timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    status = requests.get(body["url"], timeout=10)
    assert status.status_code == 200
    assert status.json() == {"confirmation_code": body["confirmation_code"],
                             "status": "completed"}
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is False


# --- who may call ---------------------------------------------------------------------------


def test_non_staff_and_anonymous_are_refused_everywhere(staff, facebook, live_server, settings):
    link(staff, facebook, user="sam")
    before = len(facebook.requests())
    plain = Browser(live_server.url, settings, get_user_model().objects.create_user("plain"))
    # Staff without the Page permission (S32, issue 16 item 13) are refused like everyone else.
    helper = Browser(live_server.url, settings,
                     get_user_model().objects.create_user("helper", is_staff=True))
    anonymous = Browser(live_server.url, settings)
    for method, path, body in STAFF_ENDPOINTS:
        def kwargs(body=body):  # fresh headers per caller: `call` adds its own CSRF token
            return {"json": body, "headers": {"Idempotency-Key": "k"}} if body is not None \
                else {}
        assert_error(plain.call(method, path, **kwargs()), 403, "permission_denied")
        assert_error(helper.call(method, path, **kwargs()), 403, "permission_denied")
        assert_error(anonymous.call(method, path, **kwargs()), 401, "not_authenticated")
    assert len(facebook.requests()) == before
    assert staff.call("GET", "/api/v1/facebook/page").json()["linked"] is True


# --- metrics ---------------------------------------------------------------------------------


def test_metrics_count_graph_calls_and_posts_and_show_token_expiry(staff, facebook, settings):
    from prometheus_client.parser import text_string_to_metric_families

    settings.METRICS_TOKEN = "metrics-e2e-token-123"

    def scrape() -> dict:
        response = requests.get(staff.base_url + "/metrics", timeout=10,
                                headers={"Authorization": "Bearer metrics-e2e-token-123"})
        assert response.status_code == 200
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(response.text)
                for s in family.samples}

    before = scrape()
    link(staff, facebook, user="sam")
    assert staff.post_to_page({"message": "Counted"}, "metrics-1").status_code == 201
    settings.PAGE_POST_MAX_ATTEMPTS = 1  # no retry: the 5xx fails the post at once
    facebook.fault("facebook.feed", "5xx", status=503)
    assert_error(staff.post_to_page({"message": "Down"}, "metrics-2"), 502,
                 "provider_unavailable")
    after = scrape()

    def moved(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    feed = "/graph/{version}/{id}/feed"  # the sandbox serves Graph under /graph
    for status in ("200", "503"):
        assert moved("oauth_bridge_provider_requests_total", provider="facebook",
                     endpoint=feed, status=status) == 1
    assert moved("oauth_bridge_page_posts_total", outcome="published") == 1
    assert moved("oauth_bridge_page_posts_total", outcome="failed") == 1
    endpoints = {dict(labels).get("endpoint") for name, labels in after
                 if name == "oauth_bridge_provider_requests_total"}
    assert all(SAM_PAGE not in e and SAM_ID not in e and "?" not in e for e in endpoints)
    expiry = after[("oauth_bridge_facebook_token_expiry_timestamp_seconds", (("token", "user"),))]
    assert time.time() < expiry < float("inf")
