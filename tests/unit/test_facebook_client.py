"""FacebookClient against `responses`: versioned URLs, appsecret_proof, tokens never in URLs,
and the Graph error mapping by code/subcode."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from responses import matchers

from integrations.errors import (
    AuthorizationFailed,
    BadProviderResponse,
    ContentRejected,
    PermissionMissing,
    ProviderError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
    TokenInvalid,
)
from integrations.facebook import FacebookPage, FacebookToken, PagePostResult, TokenInfo

from .conftest import FB_APP_ID, FB_SECRET, FB_WEB, GRAPH, NOW

USER_TOKEN = "EAASENTINELUSER"
PAGE_TOKEN = "EAASENTINELPAGE"
CODE = "SENTINELFBCODE"
REDIRECT = "https://app.test/facebook/callback"
PAGE_ID = "1234567890"


def proof(token):
    return hmac.new(FB_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()


def graph_error(code, subcode=None, message="(#x) upstream <b>text</b>"):
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def user_call(token=USER_TOKEN):
    """What every GET/DELETE with a user or Page token must carry."""
    return [
        matchers.header_matcher({"Authorization": f"OAuth {token}"}),
        matchers.query_param_matcher({"appsecret_proof": proof(token)}, strict_match=False),
    ]


def assert_no_token_in_url(rsps, *secrets):
    for call in rsps.calls:
        for secret in secrets:
            assert secret not in call.request.url


def all_text(exc):
    return f"{exc} {exc!r} {exc.message} {exc.args}"


# --- dialog_url ------------------------------------------------------------------------------


def test_dialog_url_is_versioned_with_comma_scopes(facebook_client):
    url = facebook_client.dialog_url("st4te", REDIRECT, ["pages_show_list", "pages_manage_posts"])
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{FB_WEB}/v25.0/dialog/oauth"
    assert parse_qs(parts.query) == {
        "client_id": [FB_APP_ID], "redirect_uri": [REDIRECT], "state": ["st4te"],
        "response_type": ["code"], "scope": ["pages_show_list,pages_manage_posts"],
    }
    assert FB_SECRET not in url


def test_dialog_url_rerequest(facebook_client):
    url = facebook_client.dialog_url("s", REDIRECT, ["pages_show_list"], rerequest=True)
    assert parse_qs(urlsplit(url).query)["auth_type"] == ["rerequest"]


# --- exchange_code / extend_token ------------------------------------------------------------


def test_exchange_code_posts_secret_in_the_body(facebook_client, rsps):
    rsps.post(f"{GRAPH}/oauth/access_token", match=[
        matchers.urlencoded_params_matcher({
            "client_id": FB_APP_ID, "client_secret": FB_SECRET, "redirect_uri": REDIRECT,
            "code": CODE,
        }),
        matchers.query_string_matcher(""),
    ], json={"access_token": USER_TOKEN, "token_type": "bearer", "expires_in": "5183944"})
    token = facebook_client.exchange_code(CODE, REDIRECT)
    assert token == FacebookToken(USER_TOKEN, "bearer", NOW + timedelta(seconds=5183944))
    assert_no_token_in_url(rsps, FB_SECRET, CODE)


def test_exchange_code_without_expiry(facebook_client, rsps):
    rsps.post(f"{GRAPH}/oauth/access_token", json={"access_token": USER_TOKEN})
    token = facebook_client.exchange_code(CODE, REDIRECT)
    assert token.expires_at is None and token.token_type == "bearer"


@pytest.mark.parametrize("subcode", [36007, 36008, 36009])
def test_exchange_code_errors_keep_the_subcode(facebook_client, rsps, subcode):
    rsps.post(f"{GRAPH}/oauth/access_token", status=400, json=graph_error(100, subcode))
    with pytest.raises(AuthorizationFailed) as info:
        facebook_client.exchange_code(CODE, REDIRECT)
    assert info.value.provider_code == str(subcode)
    assert CODE not in all_text(info.value)


def test_exchange_code_without_token_is_bad_response(facebook_client, rsps):
    rsps.post(f"{GRAPH}/oauth/access_token", json={"token_type": "bearer"})
    with pytest.raises(BadProviderResponse):
        facebook_client.exchange_code(CODE, REDIRECT)


@pytest.mark.parametrize("status", [502, 503])
def test_exchange_code_is_never_retried(facebook_client, rsps, status):
    rsps.post(f"{GRAPH}/oauth/access_token", status=status, body="<html>oops</html>")
    with pytest.raises(ProviderUnavailable):
        facebook_client.exchange_code(CODE, REDIRECT)
    assert len(rsps.calls) == 1


def test_exchange_code_timeout(facebook_client, rsps):
    rsps.post(f"{GRAPH}/oauth/access_token", body=requests.exceptions.ReadTimeout())
    with pytest.raises(ProviderTimeout):
        facebook_client.exchange_code(CODE, REDIRECT)
    assert len(rsps.calls) == 1


def test_extend_token_uses_fb_exchange_token(facebook_client, rsps):
    rsps.post(f"{GRAPH}/oauth/access_token", match=[matchers.urlencoded_params_matcher({
        "grant_type": "fb_exchange_token", "client_id": FB_APP_ID, "client_secret": FB_SECRET,
        "fb_exchange_token": USER_TOKEN,
    })], json={"access_token": "EAALONG", "token_type": "bearer", "expires_in": 5183944})
    token = facebook_client.extend_token(USER_TOKEN)
    assert token.access_token == "EAALONG"
    assert_no_token_in_url(rsps, USER_TOKEN, FB_SECRET)


def test_extend_token_of_expired_token_is_token_invalid(facebook_client, rsps):
    rsps.post(f"{GRAPH}/oauth/access_token", status=400, json=graph_error(190, 463))
    with pytest.raises(TokenInvalid) as info:
        facebook_client.extend_token(USER_TOKEN)
    assert info.value.subcode == 463


# --- debug_token -----------------------------------------------------------------------------


APP_TOKEN = f"{FB_APP_ID}|{FB_SECRET}"


def debug_call():
    return [
        matchers.query_param_matcher({"input_token": USER_TOKEN,
                                      "appsecret_proof": proof(APP_TOKEN)}),
        matchers.header_matcher({"Authorization": f"OAuth {APP_TOKEN}"}),
    ]


def test_debug_token_valid_user_token(facebook_client, rsps):
    rsps.get(f"{GRAPH}/debug_token", match=debug_call(), json={"data": {
        "app_id": FB_APP_ID, "type": "USER", "application": "Bridge", "user_id": "777",
        "expires_at": 1780000000, "data_access_expires_at": "1790000000", "is_valid": True,
        "issued_at": 1770000000, "scopes": ["pages_show_list", "public_profile"],
        "granular_scopes": [{"scope": "pages_show_list", "target_ids": [PAGE_ID]}],
    }})
    assert facebook_client.debug_token(USER_TOKEN) == TokenInfo(
        is_valid=True, type="USER", app_id=FB_APP_ID, user_id="777", profile_id=None,
        expires_at=datetime.fromtimestamp(1780000000, UTC),
        data_access_expires_at=datetime.fromtimestamp(1790000000, UTC),
        scopes=("pages_show_list", "public_profile"),
        error_code=None, error_subcode=None, error_message=None,
    )
    assert_no_token_in_url(rsps, FB_SECRET)  # the app token travels in the header


def test_debug_token_page_token_expires_at_zero_means_never(facebook_client, rsps):
    rsps.get(f"{GRAPH}/debug_token", json={"data": {
        "app_id": int(FB_APP_ID), "type": "PAGE", "user_id": 777, "profile_id": PAGE_ID,
        "expires_at": 0, "is_valid": True, "scopes": [],
    }})
    info = facebook_client.debug_token(USER_TOKEN)
    assert info.is_valid and info.expires_at is None
    assert info.app_id == FB_APP_ID and info.user_id == "777" and info.profile_id == PAGE_ID


def test_debug_token_for_another_app_is_not_valid(facebook_client, rsps):
    rsps.get(f"{GRAPH}/debug_token", json={"data": {
        "app_id": "999999999", "type": "USER", "user_id": "777", "is_valid": True,
        "expires_at": 0, "scopes": ["pages_show_list"],
    }})
    info = facebook_client.debug_token(USER_TOKEN)
    assert info.is_valid is False and info.app_id == "999999999"


def test_debug_token_invalid_token_is_200_with_error(facebook_client, rsps):
    rsps.get(f"{GRAPH}/debug_token", json={"data": {
        "app_id": FB_APP_ID, "type": "USER", "user_id": "777", "is_valid": False,
        "expires_at": 1668613551, "scopes": ["email"],
        "error": {"code": 190, "message": "Session has expired\non Wednesday", "subcode": 463},
    }})
    info = facebook_client.debug_token(USER_TOKEN)
    assert info.is_valid is False
    assert (info.error_code, info.error_subcode) == (190, 463)
    assert info.error_message == "Session has expired?on Wednesday"


def test_debug_token_valid_user_token_without_user_is_bad_response(facebook_client, rsps):
    rsps.get(f"{GRAPH}/debug_token", json={"data": {
        "app_id": FB_APP_ID, "type": "USER", "is_valid": True,
    }})
    with pytest.raises(BadProviderResponse):
        facebook_client.debug_token(USER_TOKEN)


def test_debug_token_without_data_is_bad_response(facebook_client, rsps):
    rsps.get(f"{GRAPH}/debug_token", json={"is_valid": True})
    with pytest.raises(BadProviderResponse):
        facebook_client.debug_token(USER_TOKEN)


def test_debug_token_get_is_retried_on_503(facebook_client, rsps):
    rsps.get(f"{GRAPH}/debug_token", status=503)
    rsps.get(f"{GRAPH}/debug_token", json={"data": {"is_valid": False, "scopes": []}})
    assert facebook_client.debug_token(USER_TOKEN).is_valid is False
    assert len(rsps.calls) == 2


# --- /me, /me/accounts, /{page} --------------------------------------------------------------


def test_get_me_sends_token_in_header_and_appsecret_proof(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me", match=[
        *user_call(), matchers.query_param_matcher({"fields": "id,name", "appsecret_proof":
                                                    proof(USER_TOKEN)}),
    ], json={"id": "10101", "name": "Alex"})
    user = facebook_client.get_me(USER_TOKEN)
    assert (user.id, user.name) == ("10101", "Alex")
    assert_no_token_in_url(rsps, USER_TOKEN)


def test_get_me_without_id_is_bad_response(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me", json={"name": "Alex"})
    with pytest.raises(BadProviderResponse):
        facebook_client.get_me(USER_TOKEN)


def page_json(page_id, tasks=("CREATE_CONTENT", "MANAGE")):
    return {"id": page_id, "name": f"Page {page_id}", "category": "Bakery",
            "category_list": [{"id": "1", "name": "Bakery"}], "tasks": list(tasks),
            "access_token": f"EAAPAGE{page_id}"}


def test_list_pages_follows_the_after_cursor(facebook_client, rsps):
    fields = {"fields": "id,name,category,tasks,access_token", "limit": "100",
              "appsecret_proof": proof(USER_TOKEN)}
    rsps.get(f"{GRAPH}/me/accounts", match=[*user_call(), matchers.query_param_matcher(fields)],
             json={"data": [page_json("1")], "paging": {
                 "cursors": {"before": "b1", "after": "a1"},
                 "next": f"{GRAPH}/me/accounts?access_token={USER_TOKEN}&after=a1"}})
    rsps.get(f"{GRAPH}/me/accounts",
             match=[*user_call(), matchers.query_param_matcher({**fields, "after": "a1"})],
             json={"data": [page_json("2", ["ANALYZE"])],
                   "paging": {"cursors": {"before": "b2", "after": "a2"}}})
    pages = facebook_client.list_pages(USER_TOKEN)
    assert pages == (
        FacebookPage("1", "Page 1", "Bakery", ("CREATE_CONTENT", "MANAGE"), "EAAPAGE1"),
        FacebookPage("2", "Page 2", "Bakery", ("ANALYZE",), "EAAPAGE2"),
    )
    assert "EAAPAGE1" not in repr(pages)
    assert_no_token_in_url(rsps, USER_TOKEN)


def test_list_pages_stops_on_a_repeated_cursor(facebook_client, rsps):
    body = {"data": [page_json("1")], "paging": {"cursors": {"after": "same"}, "next": "x"}}
    rsps.get(f"{GRAPH}/me/accounts", json=body)
    pages = facebook_client.list_pages(USER_TOKEN)
    assert len(rsps.calls) == 2 and len(pages) == 2


def test_list_pages_is_bounded(facebook_client, rsps, monkeypatch):
    monkeypatch.setattr("integrations.facebook.client.MAX_PAGES_FOLLOWED", 3)
    counter = iter(range(100))

    def endless(request):
        n = next(counter)
        return 200, {}, json.dumps({"data": [page_json(str(n))],
                                    "paging": {"cursors": {"after": f"c{n}"}, "next": "x"}})

    rsps.add_callback("GET", f"{GRAPH}/me/accounts", callback=endless)
    assert len(facebook_client.list_pages(USER_TOKEN)) == 3


def test_list_pages_without_data_is_bad_response(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me/accounts", json={"paging": {}})
    with pytest.raises(BadProviderResponse):
        facebook_client.list_pages(USER_TOKEN)


def test_get_page_token(facebook_client, rsps):
    rsps.get(f"{GRAPH}/{PAGE_ID}", match=[*user_call(), matchers.query_param_matcher(
        {"fields": "access_token", "appsecret_proof": proof(USER_TOKEN)})],
        json={"id": PAGE_ID, "access_token": PAGE_TOKEN})
    assert facebook_client.get_page_token(USER_TOKEN, PAGE_ID) == PAGE_TOKEN


def test_get_page_token_missing_means_permission_missing(facebook_client, rsps):
    rsps.get(f"{GRAPH}/{PAGE_ID}", json={"id": PAGE_ID})
    with pytest.raises(PermissionMissing):
        facebook_client.get_page_token(USER_TOKEN, PAGE_ID)


@pytest.mark.parametrize("page_id", ["", "me/permissions", "../debug_token", "1?x=1", "1 2"])
def test_page_ids_cannot_change_the_path(facebook_client, page_id):
    with pytest.raises(ValueError):
        facebook_client.get_page_token(USER_TOKEN, page_id)


# --- publish_to_page -------------------------------------------------------------------------


def test_publish_to_page_posts_with_the_page_token_in_the_body(facebook_client, rsps):
    rsps.post(f"{GRAPH}/{PAGE_ID}/feed", match=[
        matchers.urlencoded_params_matcher({
            "message": "Hello", "link": "https://example.test/", "access_token": PAGE_TOKEN,
        }),
        matchers.query_param_matcher({"appsecret_proof": proof(PAGE_TOKEN)}),
    ], json={"id": f"{PAGE_ID}_987"})
    result = facebook_client.publish_to_page(PAGE_ID, PAGE_TOKEN, "Hello", "https://example.test/")
    assert result == PagePostResult(id=f"{PAGE_ID}_987", scheduled=False)
    assert_no_token_in_url(rsps, PAGE_TOKEN)


def test_publish_to_page_scheduled(facebook_client, rsps):
    when = NOW + timedelta(days=1)
    rsps.post(f"{GRAPH}/{PAGE_ID}/feed", match=[matchers.urlencoded_params_matcher({
        "message": "Later", "published": "false",
        "scheduled_publish_time": str(int(when.timestamp())), "access_token": PAGE_TOKEN,
    })], json={"id": f"{PAGE_ID}_988"})
    result = facebook_client.publish_to_page(PAGE_ID, PAGE_TOKEN, "Later", scheduled_at=when)
    assert result.scheduled is True


def test_publish_to_page_rejects_naive_schedule(facebook_client):
    with pytest.raises(ValueError):
        facebook_client.publish_to_page(PAGE_ID, PAGE_TOKEN, "x", scheduled_at=datetime(2026, 6, 1))


@pytest.mark.parametrize("status", [502, 503, 504])
def test_publish_to_page_is_never_retried(facebook_client, rsps, status):
    rsps.post(f"{GRAPH}/{PAGE_ID}/feed", status=status)
    with pytest.raises(ProviderUnavailable):
        facebook_client.publish_to_page(PAGE_ID, PAGE_TOKEN, "Hello")
    assert len(rsps.calls) == 1


def test_publish_to_page_timeout_is_not_retried(facebook_client, rsps):
    rsps.post(f"{GRAPH}/{PAGE_ID}/feed", body=requests.exceptions.ReadTimeout())
    with pytest.raises(ProviderTimeout):
        facebook_client.publish_to_page(PAGE_ID, PAGE_TOKEN, "Hello")
    assert len(rsps.calls) == 1


def test_publish_with_user_token_is_permission_missing(facebook_client, rsps):
    rsps.post(f"{GRAPH}/{PAGE_ID}/feed", status=403, json=graph_error(
        200, message="(#200) If posting to a page, requires both pages_read_engagement and "
                     "pages_manage_posts"))
    with pytest.raises(PermissionMissing):
        facebook_client.publish_to_page(PAGE_ID, USER_TOKEN, "Hello")


def test_publish_without_post_id_is_bad_response(facebook_client, rsps):
    rsps.post(f"{GRAPH}/{PAGE_ID}/feed", json={"success": True})
    with pytest.raises(BadProviderResponse):
        facebook_client.publish_to_page(PAGE_ID, PAGE_TOKEN, "Hello")


# --- revoke ----------------------------------------------------------------------------------


def test_revoke_deletes_permissions(facebook_client, rsps):
    rsps.delete(f"{GRAPH}/me/permissions", match=user_call(), json={"success": True})
    assert facebook_client.revoke(USER_TOKEN) is None
    assert_no_token_in_url(rsps, USER_TOKEN)


def test_revoke_of_an_invalid_token_counts_as_done(facebook_client, rsps):
    rsps.delete(f"{GRAPH}/me/permissions", status=400, json=graph_error(190, 460))
    assert facebook_client.revoke(USER_TOKEN) is None


def test_revoke_is_not_retried(facebook_client, rsps):
    rsps.delete(f"{GRAPH}/me/permissions", status=503)
    with pytest.raises(ProviderUnavailable):
        facebook_client.revoke(USER_TOKEN)
    assert len(rsps.calls) == 1


# --- The Graph error mapping (by code, not HTTP status) ---------------------------------------


@pytest.mark.parametrize("code,subcode,status,expected", [
    (190, 463, 400, TokenInvalid),
    (190, 460, 200, TokenInvalid),
    (102, None, 400, TokenInvalid),
    (4, None, 400, ProviderRateLimited),
    (17, None, 403, ProviderRateLimited),
    (32, None, 400, ProviderRateLimited),
    (613, None, 400, ProviderRateLimited),
    (80001, None, 400, ProviderRateLimited),
    (10, None, 403, PermissionMissing),
    (200, None, 403, PermissionMissing),
    (299, None, 400, PermissionMissing),
    (1, None, 500, ProviderUnavailable),
    (2, None, 400, ProviderUnavailable),
    (100, None, 400, ProviderError),
    (100, 33, 400, PermissionMissing),
    (506, None, 400, ContentRejected),
    (368, None, 400, ContentRejected),
    (1609005, None, 400, ContentRejected),
])
def test_graph_errors_map_by_code(facebook_client, rsps, code, subcode, status, expected):
    rsps.get(f"{GRAPH}/me", status=status, json=graph_error(code, subcode, f"leak {USER_TOKEN}"))
    with pytest.raises(expected) as info:
        facebook_client.get_me(USER_TOKEN)
    assert type(info.value) is expected
    assert info.value.graph_code == code
    text = all_text(info.value)
    assert USER_TOKEN not in text and "leak" not in text  # upstream text is never echoed
    if expected is TokenInvalid:
        assert info.value.subcode == subcode


def test_graph_message_is_kept_privately_for_logs(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me", status=400, json=graph_error(506, message="Duplicate status message"))
    with pytest.raises(ProviderError) as info:
        facebook_client.get_me(USER_TOKEN)
    assert info.value._graph_message == "Duplicate status message"
    assert "Duplicate" not in info.value.message


def test_rate_limit_reads_business_use_case_header(facebook_client, rsps):
    usage = {PAGE_ID: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}]}
    rsps.get(f"{GRAPH}/me", status=400, json=graph_error(80001),
             headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
    with pytest.raises(ProviderRateLimited) as info:
        facebook_client.get_me(USER_TOKEN)
    assert info.value.retry_after_s == 7 * 60


def test_rate_limit_reads_retry_after_else_defaults_to_60(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me", status=400, json=graph_error(4), headers={"Retry-After": "15"})
    rsps.get(f"{GRAPH}/me", status=400, json=graph_error(17),
             headers={"X-Business-Use-Case-Usage": "not json"})
    with pytest.raises(ProviderRateLimited) as first:
        facebook_client.get_me(USER_TOKEN)
    with pytest.raises(ProviderRateLimited) as second:
        facebook_client.get_me(USER_TOKEN)
    assert (first.value.retry_after_s, second.value.retry_after_s) == (15, 60)


def test_html_body_is_unavailable(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me", body="<!DOCTYPE html><html>Sorry</html>", content_type="text/html")
    with pytest.raises(ProviderUnavailable):
        facebook_client.get_me(USER_TOKEN)


def test_4xx_without_graph_error_is_generic(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me", status=404, json={"nope": True})
    with pytest.raises(ProviderError) as info:
        facebook_client.get_me(USER_TOKEN)
    assert type(info.value) is ProviderError


def test_get_me_timeout(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me", body=requests.exceptions.ConnectTimeout())
    with pytest.raises(ProviderTimeout):
        facebook_client.get_me(USER_TOKEN)


# --- No secrets in reprs or logs --------------------------------------------------------------


def test_reprs_never_show_tokens_or_secrets(facebook_client):
    objects = [
        FacebookToken(USER_TOKEN, "bearer", None),
        FacebookPage(PAGE_ID, "Bakery", None, ("CREATE_CONTENT",), PAGE_TOKEN),
        facebook_client,
    ]
    text = " ".join(f"{obj!r} {obj}" for obj in objects)
    assert USER_TOKEN not in text and PAGE_TOKEN not in text and FB_SECRET not in text


def test_error_logs_never_show_tokens(facebook_client, rsps, caplog):
    rsps.get(f"{GRAPH}/me", status=400, json=graph_error(190, 467, f"bad {USER_TOKEN}"))
    with pytest.raises(TokenInvalid):
        facebook_client.get_me(USER_TOKEN)
    assert "code=190" in caplog.text
    assert USER_TOKEN not in caplog.text and FB_SECRET not in caplog.text


# --- list_page_posts and what is worth retrying ----------------------------------------------


def test_list_page_posts_reads_published_posts_since_with_the_page_token(facebook_client, rsps):
    since = NOW - timedelta(minutes=5)
    rsps.get(f"{GRAPH}/{PAGE_ID}/published_posts", match=[matchers.query_param_matcher({
        "fields": "id,message,link,attachments{unshimmed_url},created_time", "limit": "100",
        "since": str(int(since.timestamp())), "appsecret_proof": proof(PAGE_TOKEN)})],
        json={"data": [{"id": f"{PAGE_ID}_1", "message": "Hi", "link": "https://e.test/",
                        "created_time": "2026-11-29T20:00:00+0000"}, {"id": f"{PAGE_ID}_2"}]})
    first, second = facebook_client.list_page_posts(PAGE_ID, PAGE_TOKEN, since=since)
    assert (first.id, first.message, first.link) == (f"{PAGE_ID}_1", "Hi", "https://e.test/")
    assert first.created_time == datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    assert (second.message, second.link, second.created_time) == (None, None, None)
    assert_no_token_in_url(rsps, PAGE_TOKEN)


def test_list_page_posts_reads_the_link_from_attachments_when_graph_omits_link(
        facebook_client, rsps):
    rsps.get(f"{GRAPH}/{PAGE_ID}/published_posts", json={"data": [
        {"id": f"{PAGE_ID}_1", "message": "Card", "attachments": {"data": [
            {"unshimmed_url": "https://e.test/release",
             "url": "https://l.facebook.com/l.php?u=https%3A%2F%2Fe.test%2Frelease&h=AT0"}]}},
        {"id": f"{PAGE_ID}_2", "message": "Album", "attachments": {"data": [
            {"subattachments": {"data": [{"unshimmed_url": "https://e.test/a"}, "junk"]}}]}},
        {"id": f"{PAGE_ID}_3", "message": "Both", "link": "https://e.test/b",
         "attachments": {"data": [{"unshimmed_url": "https://e.test/b"}]}},
        {"id": f"{PAGE_ID}_4", "message": "Malformed", "attachments": "nope"},
    ]})
    card, album, both, malformed = facebook_client.list_page_posts(PAGE_ID, PAGE_TOKEN, since=NOW)
    assert (card.link, card.links) == (None, ("https://e.test/release",))
    assert album.links == ("https://e.test/a",)
    assert both.links == ("https://e.test/b",)
    assert malformed.links == ()


def test_list_page_posts_reads_scheduled_posts_apart(facebook_client, rsps):
    rsps.get(f"{GRAPH}/{PAGE_ID}/scheduled_posts", json={"data": []})
    assert facebook_client.list_page_posts(PAGE_ID, PAGE_TOKEN, since=NOW, scheduled=True) == ()


def test_list_page_posts_without_data_is_bad_response(facebook_client, rsps):
    rsps.get(f"{GRAPH}/{PAGE_ID}/published_posts", json={"posts": []})
    with pytest.raises(BadProviderResponse):
        facebook_client.list_page_posts(PAGE_ID, PAGE_TOKEN, since=NOW)


@pytest.mark.parametrize(("body", "transient"), [
    (graph_error(1), True), (graph_error(2), True), (graph_error(4), True),
    (graph_error(17), True), (graph_error(32), True), (graph_error(613), True),
    ({"error": {"code": 99, "is_transient": True, "message": "x"}}, True),
    (graph_error(99), False), (graph_error(190, 463), False), (graph_error(506), False),
    (graph_error(200), False),
])
def test_transient_is_read_from_the_graph_code_once(facebook_client, rsps, body, transient):
    rsps.post(f"{GRAPH}/{PAGE_ID}/feed", status=400, json=body)
    with pytest.raises(ProviderError) as caught:
        facebook_client.publish_to_page(PAGE_ID, PAGE_TOKEN, "Hello")
    assert caught.value.transient is transient
    assert caught.value.outcome_unknown is False


def test_a_timeout_is_an_unknown_outcome(facebook_client, rsps):
    rsps.post(f"{GRAPH}/{PAGE_ID}/feed", body=requests.exceptions.ReadTimeout())
    with pytest.raises(ProviderTimeout) as caught:
        facebook_client.publish_to_page(PAGE_ID, PAGE_TOKEN, "Hello")
    assert caught.value.outcome_unknown is True
