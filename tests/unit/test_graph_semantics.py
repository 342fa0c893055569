"""Graph answers read as they mean (issue 16, items 1, 2, 5, 7 and 12), with bodies written
from PROVIDERS.md B3, B6 and B12: whose credentials an error is about, which errors mean a
permission is missing, and what of Facebook's text may reach people."""

import pytest

from integrations.errors import (
    AuthorizationFailed,
    PermissionMissing,
    ProviderError,
    ProviderMisconfigured,
    ProviderRateLimited,
    ProviderUnavailable,
)

from .conftest import GRAPH

USER_TOKEN = "EAASENTINELUSER"
PAGE_ID = "1234567890"


def error_body(code, *, subcode=None, message="(#0) upstream text", **extra):
    error = {"message": message, "type": "OAuthException", "code": code,
             "fbtrace_id": "Azx9", **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


# --- Item 1: debug_token's top-level error is about our app token ----------------------------


@pytest.mark.parametrize(("status", "body"), [
    (400, error_body(100, message="(#100) You must provide an app access token, or a user "
                                  "access token that is an owner or developer of the app")),
    (400, error_body(190, message="Invalid OAuth access token signature.")),
    (401, error_body(190, subcode=467)),
    (403, error_body(200, message="(#200) Permissions error")),
])
def test_debug_token_top_level_error_is_our_misconfiguration(facebook_client, rsps, caplog,
                                                            status, body):
    rsps.get(f"{GRAPH}/debug_token", status=status, json=body)
    with pytest.raises(ProviderMisconfigured) as info:
        facebook_client.debug_token(USER_TOKEN)
    assert info.value.code == "provider_misconfigured" and info.value.status == 502
    assert any(r.levelname == "ERROR" and "FACEBOOK_APP_SECRET" in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize(("body", "expected"), [
    (error_body(4, message="(#4) Application request limit reached"), ProviderRateLimited),
    (error_body(2, message="Service temporarily unavailable"), ProviderUnavailable),
])
def test_debug_token_throttling_and_outages_keep_their_meaning(facebook_client, rsps, body,
                                                              expected):
    rsps.get(f"{GRAPH}/debug_token", status=400, json=body)
    with pytest.raises(expected):
        facebook_client.debug_token(USER_TOKEN)


def test_debug_token_data_error_judges_the_user_token(facebook_client, rsps):
    rsps.get(f"{GRAPH}/debug_token", json={"data": {
        "error": {"code": 190, "message": "The access token could not be decrypted"},
        "is_valid": False, "scopes": []}})
    info = facebook_client.debug_token(USER_TOKEN)
    assert info.is_valid is False and info.error_code == 190


# --- Item 2: permission errors ----------------------------------------------------------------


@pytest.mark.parametrize(("body", "missing"), [
    (error_body(10, message="(#10) This endpoint requires the 'pages_read_engagement' "
                            "permission"), ("pages_read_engagement",)),
    (error_body(200, message="(#200) If posting to a page, requires both pages_read_engagement "
                             "and pages_manage_posts permission"),
     ("pages_read_engagement", "pages_manage_posts")),
    (error_body(230, message="(#230) Requires pages_messaging permission to manage the object"),
     ("pages_messaging",)),
    (error_body(299, message="(#299) Something about roles"), ()),
    (error_body(100, subcode=33, message="Unsupported get request. Object with ID '1234567890' "
                                         "does not exist, cannot be loaded due to missing "
                                         "permissions, or does not support this operation."), ()),
    (error_body(100, message="(#100) Object does not exist, cannot be loaded due to missing "
                             "permission pages_read_engagement"), ("pages_read_engagement",)),
])
def test_graph_permission_errors_say_what_to_grant_and_to_relink(facebook_client, rsps, body,
                                                                 missing):
    rsps.get(f"{GRAPH}/me", status=403, json=body)
    with pytest.raises(PermissionMissing) as info:
        facebook_client.get_me(USER_TOKEN)
    assert info.value.missing == missing
    assert "link the Page again" in info.value.message
    for name in missing:
        assert name in info.value.message


@pytest.mark.parametrize("body", [
    error_body(100, message="(#100) Invalid parameter"),
    error_body(100, subcode=2018001, message="(#100) The parameter message is required"),
])
def test_graph_code_100_without_access_words_is_our_request_fault(facebook_client, rsps, body):
    rsps.get(f"{GRAPH}/me", status=400, json=body)
    with pytest.raises(ProviderError) as info:
        facebook_client.get_me(USER_TOKEN)
    assert type(info.value) is ProviderError


# --- Items 5 and 7: Facebook's words for people, apart from ours -----------------------------


def test_error_user_title_and_msg_become_a_clean_capped_provider_message(facebook_client, rsps):
    rsps.post(f"{GRAPH}/{PAGE_ID}/feed", status=400, json=error_body(
        368, message="(#368) The action attempted has been deemed abusive",
        error_user_title="Post \x1b[31mblocked\x1b[0m",
        error_user_msg="Your post goes against our Community Standards.\r\n" + "x" * 600))
    with pytest.raises(ProviderError) as info:
        facebook_client.publish_to_page(PAGE_ID, "EAAPAGE", "hello")
    exc = info.value
    assert exc.message != exc._graph_message and "abusive" not in exc.message
    assert exc.provider_message.startswith(
        "Post 31mblocked 0m: Your post goes against our Community Standards. xxx")
    assert len(exc.provider_message) <= 300
    assert not any(ord(c) < 32 or ord(c) == 127 for c in exc.provider_message)
    assert exc.public_fields()["provider_message"] == exc.provider_message


def test_provider_message_keeps_only_plain_text_characters(facebook_client, rsps):
    """S37: markup and anything outside the documented character set is dropped."""
    rsps.post(f"{GRAPH}/{PAGE_ID}/feed", status=400, json=error_body(
        368, error_user_title="<img src=x onerror=alert(1)>Blocked",
        error_user_msg='Try <a href="javascript:x">again</a> `later` {now} \\ \u202e — ok'))
    with pytest.raises(ProviderError) as info:
        facebook_client.publish_to_page(PAGE_ID, "EAAPAGE", "hello")
    assert info.value.provider_message == "Blocked: Try again later now ok"


def test_graph_error_without_user_text_has_no_provider_message(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me", status=400, json=error_body(100, message="(#100) Invalid parameter"))
    with pytest.raises(ProviderError) as info:
        facebook_client.get_me(USER_TOKEN)
    assert info.value.provider_message is None
    assert "provider_message" not in info.value.public_fields()


@pytest.mark.parametrize(("flag", "transient"), [(True, True), (False, False)])
def test_is_transient_marks_the_error_retryable(facebook_client, rsps, flag, transient):
    rsps.get(f"{GRAPH}/me", status=400,
             json=error_body(100, message="(#100) Invalid parameter", is_transient=flag))
    with pytest.raises(ProviderError) as info:
        facebook_client.get_me(USER_TOKEN)
    assert info.value.transient is transient


def test_throttling_is_transient_by_nature(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me", status=400, json=error_body(17, message="(#17) User request limit"))
    with pytest.raises(ProviderRateLimited) as info:
        facebook_client.get_me(USER_TOKEN)
    assert info.value.transient is True


# --- Item 12: a bad code is a bad code, whatever Graph code says so --------------------------


@pytest.mark.parametrize("body", [
    error_body(100, subcode=36007, message="This authorization code has expired."),
    error_body(100, subcode=36009, message="This authorization code has been used."),
    error_body(190, message="Invalid verification code format."),
    error_body(100, message="Invalid verification code format."),
])
def test_exchange_of_an_invalid_or_expired_code_is_authorization_failed(facebook_client, rsps,
                                                                        body):
    rsps.post(f"{GRAPH}/oauth/access_token", status=400, json=body)
    with pytest.raises(AuthorizationFailed) as info:
        facebook_client.exchange_code("SENTINELCODE", "https://app.test/facebook/callback")
    assert info.value.code == "authorization_failed" and info.value.status == 400
