"""Facebook Login and Graph emulation over real HTTP (PROVIDERS.md Part B / C)."""

import json
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.sandbox.helpers import (
    APP_TOKEN,
    FB_CALLBACK,
    FB_ID,
    FB_SECRET,
    TIMEOUT,
    fb_code,
    fb_dialog_url,
    fb_exchange,
    fb_user_token,
    graph,
    now,
    page_token,
    proof,
)

ALEX_BAKERY, ALEX_PHOTO = "1000000000000101", "1000000000000102"


def assert_graph_error(response, code, subcode=None, status=400):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error.get("error_subcode") == subcode
    assert error["type"] and error["message"] and error["fbtrace_id"]


def test_dialog_offers_continue_and_cancel_and_escapes_input(sb):
    page = requests.get(fb_dialog_url(sb, state="<img src=x onerror=alert(1)>"), timeout=TIMEOUT)
    assert page.status_code == 200
    assert "name=decision value=continue>Continue</button>" in page.text
    assert "name=decision value=cancel>Cancel</button>" in page.text
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text
    assert "pages_manage_posts" in page.text and "Alex Admin" in page.text


def test_dialog_requires_the_exact_redirect_uri(sb):
    for almost in (FB_CALLBACK + "/", FB_CALLBACK + "?x=1", FB_CALLBACK.replace("https", "http")):
        page = requests.get(fb_dialog_url(sb, redirect_uri=almost), allow_redirects=False,
                            timeout=TIMEOUT)
        assert page.status_code == 400 and "URL blocked" in page.text
    # Strict Mode ignores only a `state` parameter inside the redirect URI.
    page = requests.get(fb_dialog_url(sb, redirect_uri=FB_CALLBACK + "?state=abc"),
                        timeout=TIMEOUT)
    assert page.status_code == 200


def test_dialog_rejects_deprecated_scopes(sb):
    page = requests.get(fb_dialog_url(sb, scope="publish_actions,manage_pages"), timeout=TIMEOUT)
    assert page.status_code == 400 and "Invalid Scopes" in page.text


def test_continue_redirects_with_code_state_and_fragment(sb):
    first = requests.get(fb_dialog_url(sb), timeout=TIMEOUT)
    assert first.ok
    answer = sb.http.post(sb.facebook_url + "/v25.0/dialog/oauth", data={
        "client_id": FB_ID, "redirect_uri": FB_CALLBACK, "state": "s1", "scope": "email",
        "user": "sam", "decision": "continue"}, allow_redirects=False, timeout=TIMEOUT)
    location = urlsplit(answer.headers["Location"])
    assert location.fragment == "_=_" and "code=" in location.query and "state=s1" in location.query


def test_cancel_redirect_carries_the_documented_error(sb):
    result = sb.facebook_consent(fb_dialog_url(sb, state="xyz"), decision="cancel")
    assert result == {"error": "access_denied", "error_code": "200",
                      "error_description": "Permissions error", "error_reason": "user_denied",
                      "state": "xyz"}


def test_code_exchange_answers_json_by_get_or_post(sb):
    for method in ("GET", "POST"):
        response = fb_exchange(sb, fb_code(sb), method=method)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in"}
        assert body["token_type"] == "bearer" and body["access_token"].startswith("EAA")


def test_code_exchange_redirect_uri_mismatch_is_36008(sb):
    response = fb_exchange(sb, fb_code(sb), redirect_uri=FB_CALLBACK + "/")
    assert_graph_error(response, 100, 36008)
    assert "identical" in response.json()["error"]["message"]


def test_used_code_is_36009(sb):
    code = fb_code(sb)
    assert fb_exchange(sb, code).ok
    assert_graph_error(fb_exchange(sb, code), 100, 36009)


def test_expired_code_is_36007(sb):
    code = fb_code(sb)
    sb.advance_clock(11 * 60)
    assert_graph_error(fb_exchange(sb, code), 100, 36007)


def test_wrong_client_secret_is_rejected(sb):
    response = requests.get(sb.graph_url + "/v25.0/oauth/access_token", params={
        "client_id": FB_ID, "client_secret": "nope", "code": fb_code(sb),
        "redirect_uri": FB_CALLBACK}, timeout=TIMEOUT)
    assert_graph_error(response, 1)


def test_fb_exchange_token_gives_a_sixty_day_token(sb):
    short = fb_exchange(sb, fb_code(sb)).json()
    assert short["expires_in"] < 3 * 3600
    long_lived = requests.get(sb.graph_url + "/v25.0/oauth/access_token", params={
        "grant_type": "fb_exchange_token", "client_id": FB_ID, "client_secret": FB_SECRET,
        "fb_exchange_token": short["access_token"]}, timeout=TIMEOUT).json()
    assert 59 * 86400 < long_lived["expires_in"] <= 60 * 86400


def test_client_credentials_app_token_can_debug_tokens(sb):
    app = requests.get(sb.graph_url + "/v25.0/oauth/access_token", params={
        "grant_type": "client_credentials", "client_id": FB_ID, "client_secret": FB_SECRET},
        timeout=TIMEOUT).json()["access_token"]
    assert app.startswith(FB_ID + "|")
    user = fb_user_token(sb)
    data = graph(sb, "GET", "/debug_token", app, input_token=user).json()["data"]
    assert data["is_valid"] is True and data["type"] == "USER"


def test_debug_token_describes_user_and_page_tokens(sb):
    user = fb_user_token(sb)
    data = requests.get(sb.graph_url + "/debug_token", params={
        "input_token": user, "access_token": APP_TOKEN}, timeout=TIMEOUT).json()["data"]
    assert data["app_id"] == FB_ID and data["user_id"] == "112233445566778"
    assert data["expires_at"] > now() + 59 * 86400
    assert data["data_access_expires_at"] > now() + 89 * 86400
    assert {"pages_show_list", "pages_manage_posts"} <= set(data["scopes"])
    page = graph(sb, "GET", "/debug_token", APP_TOKEN, input_token=page_token(sb, user))
    page_data = page.json()["data"]
    assert page_data["type"] == "PAGE" and page_data["expires_at"] == 0
    assert page_data["profile_id"] == ALEX_BAKERY and page_data["is_valid"] is True


def test_page_token_from_a_short_lived_user_token_expires(sb):
    short = fb_user_token(sb, long_lived=False)
    data = graph(sb, "GET", "/debug_token", APP_TOKEN,
                 input_token=page_token(sb, short)).json()["data"]
    assert data["expires_at"] > 0


def test_debug_token_of_an_invalid_token_answers_200_with_is_valid_false(sb):
    response = graph(sb, "GET", "/debug_token", APP_TOKEN, input_token="EAAnonsense")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["is_valid"] is False and data["error"]["code"] == 190


def test_debug_token_of_an_expired_token_reports_subcode_463(sb):
    user = fb_user_token(sb, long_lived=False)
    sb.advance_clock(3 * 3600)
    data = graph(sb, "GET", "/debug_token", APP_TOKEN, input_token=user).json()["data"]
    assert data["is_valid"] is False and data["error"]["subcode"] == 463
    assert data["user_id"] == "112233445566778"


def test_debug_token_needs_an_app_token(sb):
    user = fb_user_token(sb)
    assert_graph_error(graph(sb, "GET", "/debug_token", user, input_token=user), 100)


def test_me_returns_app_scoped_id_and_email_only_with_permission(sb):
    sb_token = fb_user_token(sb, "alex")
    me = graph(sb, "GET", "/me", sb_token, fields="id,name,email").json()
    assert me == {"id": "112233445566778", "name": "Alex Admin"}
    with_email = fb_exchange(sb, fb_code(sb, scope="email,pages_show_list")).json()
    me = graph(sb, "GET", "/me", with_email["access_token"], fields="id,email").json()
    assert me == {"id": "112233445566778", "email": "alex@example.com"}


def test_accounts_lists_pages_with_tokens_tasks_and_cursor_paging(sb):
    user = fb_user_token(sb)
    first = graph(sb, "GET", "/me/accounts", user, limit="1").json()
    assert [p["id"] for p in first["data"]] == [ALEX_BAKERY]
    page = first["data"][0]
    assert page["access_token"].startswith("EAA") and "CREATE_CONTENT" in page["tasks"]
    assert page["category_list"][0]["name"] == page["category"]
    assert first["paging"]["cursors"]["after"]
    second = requests.get(first["paging"]["next"], timeout=TIMEOUT).json()
    assert [p["id"] for p in second["data"]] == [ALEX_PHOTO] and "next" not in second["paging"]
    assert len(graph(sb, "GET", "/me/accounts", user).json()["data"]) == 2


def test_sam_manages_one_page_and_robin_has_an_analyst_only_page(sb):
    sam = graph(sb, "GET", "/me/accounts", fb_user_token(sb, "sam")).json()["data"]
    assert len(sam) == 1
    robin = graph(sb, "GET", "/me/accounts", fb_user_token(sb, "robin")).json()["data"]
    assert sorted(p["tasks"] for p in robin)[0] == ["ANALYZE"]


def test_page_node_returns_its_access_token(sb):
    user = fb_user_token(sb)
    body = graph(sb, "GET", f"/{ALEX_PHOTO}", user, fields="access_token").json()
    assert set(body) == {"access_token"}
    assert graph(sb, "GET", "/1000000000000201", user, fields="access_token").json() == {}


def test_posting_with_a_user_token_is_403_code_200(sb):
    user = fb_user_token(sb)
    response = graph(sb, "POST", f"/{ALEX_BAKERY}/feed", user, message="hi")
    assert_graph_error(response, 200, status=403)


def test_posting_with_the_page_token_returns_page_and_post_id(sb):
    token = page_token(sb, fb_user_token(sb))
    response = graph(sb, "POST", f"/{ALEX_BAKERY}/feed", token, message="Fresh bread",
                     link="https://example.com/")
    assert response.status_code == 200
    post_id = response.json()["id"]
    assert post_id.startswith(ALEX_BAKERY + "_")
    assert "X-Business-Use-Case-Usage" in response.headers
    assert sb.posts()[0]["id"] == post_id
    again = graph(sb, "POST", f"/{ALEX_BAKERY}/feed", token, message="Fresh bread",
                  link="https://example.com/")
    assert_graph_error(again, 506)


def test_page_posts_read_back_newest_first_and_scheduled_apart(sb):
    token = page_token(sb, fb_user_token(sb))
    started = now()
    for text in ("first", "second"):
        graph(sb, "POST", f"/{ALEX_BAKERY}/feed", token, message=text, link="https://e.com/")
    graph(sb, "POST", f"/{ALEX_BAKERY}/feed", token, message="later", published="false",
          scheduled_publish_time=str(now() + 3600))
    fields = "id,message,link,created_time"
    published = graph(sb, "GET", f"/{ALEX_BAKERY}/published_posts", token, fields=fields,
                      since=str(started - 5)).json()["data"]
    assert [p["message"] for p in published] == ["second", "first"]
    assert published[0]["link"] == "https://e.com/"
    assert published[0]["created_time"].endswith("+0000")
    assert [p["id"] for p in published] == [p["id"] for p in reversed(sb.posts()[:2])]
    scheduled = graph(sb, "GET", f"/{ALEX_BAKERY}/scheduled_posts", token,
                      fields=fields).json()["data"]
    assert [p["message"] for p in scheduled] == ["later"]
    assert graph(sb, "GET", f"/{ALEX_BAKERY}/feed", token, since=str(now() + 60),
                 ).json()["data"] == []


def test_page_posts_read_back_carry_the_link_in_attachments_and_link_can_be_left_out(sb):
    token = page_token(sb, fb_user_token(sb))
    started = now()
    graph(sb, "POST", f"/{ALEX_BAKERY}/feed", token, message="text only")
    graph(sb, "POST", f"/{ALEX_BAKERY}/feed", token, message="card", link="https://e.com/r")
    fields = "id,message,link,attachments{unshimmed_url,url},created_time"
    card, text = graph(sb, "GET", f"/{ALEX_BAKERY}/published_posts", token, fields=fields,
                       since=str(started - 5)).json()["data"]
    [attachment] = card["attachments"]["data"]
    assert card["link"] == attachment["unshimmed_url"] == "https://e.com/r"
    assert attachment["url"].startswith("https://l.facebook.com/l.php?u=https%3A%2F%2Fe.com%2Fr")
    assert set(attachment) == {"unshimmed_url", "url"}  # the sub-fields asked for
    assert "attachments" not in text and "link" not in text
    sb.config(facebook_post_link_field=False)  # the newer answer: no `link`
    card, _ = graph(sb, "GET", f"/{ALEX_BAKERY}/published_posts", token, fields=fields,
                    since=str(started - 5)).json()["data"]
    assert "link" not in card
    assert card["attachments"]["data"][0]["unshimmed_url"] == "https://e.com/r"


def test_reading_page_posts_needs_that_pages_token(sb):
    user = fb_user_token(sb)
    assert_graph_error(graph(sb, "GET", f"/{ALEX_BAKERY}/published_posts", user), 10,
                       status=403)


def test_a_timeout_that_publishes_anyway_shows_up_in_the_posts(sb):
    token = page_token(sb, fb_user_token(sb))
    sb.fault("facebook.feed", "timeout", seconds=0.5)
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{sb.graph_url}/v25.0/{ALEX_BAKERY}/feed", timeout=(2, 0.1),
                      data={"message": "slow but sure", "access_token": token})
    deadline = time.monotonic() + 5
    while not sb.posts() and time.monotonic() < deadline:
        time.sleep(0.05)
    [post] = graph(sb, "GET", f"/{ALEX_BAKERY}/published_posts", token).json()["data"]
    assert post["message"] == "slow but sure"


def test_posting_needs_pages_manage_posts(sb):
    user = fb_user_token(sb, declined=("pages_manage_posts",))
    response = graph(sb, "POST", f"/{ALEX_BAKERY}/feed", page_token(sb, user), message="x")
    assert_graph_error(response, 200, status=403)


def test_schedule_window_is_ten_minutes_to_thirty_days(sb):
    token = page_token(sb, fb_user_token(sb))

    def schedule(seconds_ahead, published="false"):
        return graph(sb, "POST", f"/{ALEX_BAKERY}/feed", token, message=f"at {seconds_ahead}",
                     published=published, scheduled_publish_time=str(now() + seconds_ahead))

    assert_graph_error(schedule(5 * 60), 100)
    assert_graph_error(schedule(31 * 86400), 100)
    assert_graph_error(schedule(60 * 60, published="true"), 100)
    assert schedule(20 * 60).json()["id"].startswith(ALEX_BAKERY)
    assert schedule(29 * 86400).status_code == 200
    assert all(p["published"] is False for p in sb.posts())


def test_wrong_appsecret_proof_is_rejected(sb):
    user = fb_user_token(sb)
    assert_graph_error(graph(sb, "GET", "/me", user, appsecret_proof="00" * 32), 100)
    assert graph(sb, "GET", "/me", user, **proof(user)).status_code == 200
    assert graph(sb, "GET", "/me", user, **proof(user, now())).status_code == 200
    stale = graph(sb, "GET", "/me", user, **proof(user, now() - 600))
    assert_graph_error(stale, 100)


def test_appsecret_proof_can_be_required(sb):
    sb.config(facebook_require_appsecret_proof=True)
    user = fb_user_token(sb)
    assert_graph_error(graph(sb, "GET", "/me", user), 100)
    assert graph(sb, "GET", "/me", user, **proof(user)).ok


def test_deleting_permissions_revokes_user_and_page_tokens(sb):
    user = fb_user_token(sb)
    token = page_token(sb, user)
    assert graph(sb, "DELETE", "/me/permissions", user).json() == {"success": True}
    assert_graph_error(graph(sb, "GET", "/me", user), 190, 458)
    data = graph(sb, "GET", "/debug_token", APP_TOKEN, input_token=token).json()["data"]
    assert data["is_valid"] is False


def test_declined_permission_is_not_asked_again_without_rerequest(sb):
    fb_user_token(sb, declined=("pages_manage_posts",))
    again = fb_exchange(sb, fb_code(sb)).json()["access_token"]
    data = graph(sb, "GET", "/debug_token", APP_TOKEN, input_token=again).json()["data"]
    assert "pages_manage_posts" not in data["scopes"]
    rerequested = fb_exchange(sb, fb_code(sb, auth_type="rerequest")).json()["access_token"]
    data = graph(sb, "GET", "/debug_token", APP_TOKEN, input_token=rerequested).json()["data"]
    assert "pages_manage_posts" in data["scopes"]


def test_graph_answers_carry_usage_headers_and_any_version(sb):
    user = fb_user_token(sb)
    response = requests.get(sb.graph_url + "/v19.0/me", params={"access_token": user},
                            timeout=TIMEOUT)
    assert response.ok and response.headers["facebook-api-version"] == "v19.0"
    assert set(json.loads(response.headers["X-App-Usage"])) == {
        "call_count", "total_time", "total_cputime"}
