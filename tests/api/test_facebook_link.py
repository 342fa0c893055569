"""Linking the Facebook Page: authorize, callback, Pages, choosing a Page, validity, unlink."""

from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient

from integrations.errors import ProviderMisconfigured, ProviderUnavailable
from integrations.flows import session_binding, start_flow
from integrations.models import FacebookPageLink, FlowPurpose
from tests.fixtures.facebook import (
    PAGE_TOKEN,
    USER_TOKEN,
    assert_error,
    authorize,
    link,
    page,
    page_manager,
)

pytestmark = pytest.mark.django_db


def stored() -> FacebookPageLink:
    return FacebookPageLink.objects.get()


# --- authorize ------------------------------------------------------------------------------


def test_authorize_answers_the_dialog_url_with_our_redirect_uri_and_scopes(
        staff_client, fake_facebook, settings):
    settings.PUBLIC_URL = "https://bridge.example"
    response = staff_client.post("/api/v1/facebook/authorize", {}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"authorize_url", "state", "expires_at"}
    url = urlsplit(body["authorize_url"])
    query = parse_qs(url.query)
    assert url.path == "/v25.0/dialog/oauth"
    assert query["redirect_uri"] == ["https://bridge.example/facebook/callback"]
    assert query["scope"] == [",".join(settings.FACEBOOK_SCOPES)]
    assert query["state"] == [body["state"]]
    assert query["client_id"] == [settings.FACEBOOK_APP_ID]
    assert "code_challenge" not in query  # Facebook's classic flow has no PKCE


def test_authorize_refuses_unknown_fields(staff_client, fake_facebook):
    response = staff_client.post("/api/v1/facebook/authorize", {"redirect_uri": "https://evil"},
                                 format="json")
    assert_error(response, 400, "validation_error")


# --- callback -------------------------------------------------------------------------------


def test_callback_with_one_postable_page_selects_it_and_stores_its_token(
        staff_client, fake_facebook, staff_user, settings):
    response = link(staff_client, code="abc")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["linked"] is True and body["page_selected"] is True
    assert body["page"] == {"id": "201", "name": "Only Page"}
    assert body["token"]["valid"] is True and body["token"]["missing_scopes"] == []
    assert body["relink_needed"] is False
    assert body["linked_by"] == {"id": staff_user.pk, "username": "staffer",
                                 "display_name": "staffer"}
    assert "SENTINEL" not in response.content.decode()
    # Identical redirect_uri at the exchange, then extend, then debug, then Pages.
    assert fake_facebook.calls[0] == ("exchange_code", "abc",
                                      settings.PUBLIC_URL + "/facebook/callback")
    assert fake_facebook.names()[:4] == ["exchange_code", "extend_token", "debug_token",
                                         "list_pages"]
    link_row = stored()
    assert link_row.user_token == USER_TOKEN
    assert link_row.page_token == f"{PAGE_TOKEN}-201"
    assert link_row.facebook_user_id == "10000000000001"
    assert link_row.linked_by == staff_user


def test_tokens_are_encrypted_at_rest(linked):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT user_token, page_token FROM integrations_facebookpagelink")
        raw = cursor.fetchone()
    assert all("SENTINEL" not in value for value in raw)


def test_callback_with_several_pages_lets_staff_choose_only_postable_ones(
        staff_client, fake_facebook):
    fake_facebook.pages = [page("301", "Analytics only", tasks=("ANALYZE",)),
                           page("302", "Ours"), page("303", "Also ours")]
    body = link(staff_client).json()
    assert body["page_selected"] is False and body["page"] is None
    assert [p["id"] for p in body["pages"]] == ["302", "303"]
    assert all("access_token" not in p for p in body["pages"])
    assert stored().page_token is None

    listed = staff_client.get("/api/v1/facebook/pages").json()["results"]
    assert [p["id"] for p in listed] == ["302", "303"]
    assert "SENTINEL" not in str(listed)

    response = staff_client.put("/api/v1/facebook/page", {"page_id": "303"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["page"] == {"id": "303", "name": "Also ours"}
    assert ("get_page_token", USER_TOKEN, "303") in fake_facebook.calls
    assert stored().page_token == f"{PAGE_TOKEN}-303-fetched"


@pytest.mark.parametrize("page_id", ["301", "999"])
def test_choosing_a_page_without_create_content_or_unknown_is_a_400(
        staff_client, fake_facebook, page_id):
    fake_facebook.pages = [page("301", "Analytics only", tasks=("ANALYZE",)), page("302"),
                           page("303")]
    link(staff_client)
    response = staff_client.put("/api/v1/facebook/page", {"page_id": page_id}, format="json")
    assert_error(response, 400, "page_not_manageable")
    assert "get_page_token" not in fake_facebook.names()


def test_choosing_a_page_ignores_no_injected_token(staff_client, fake_facebook):
    fake_facebook.pages = [page("302"), page("303")]
    link(staff_client)
    response = staff_client.put("/api/v1/facebook/page",
                                {"page_id": "302", "access_token": "X"}, format="json")
    assert_error(response, 400, "validation_error")
    assert stored().page_token is None


def test_callback_with_the_error_answer_keeps_the_description_apart_from_our_message(
        staff_client, fake_facebook):
    state = authorize(staff_client)
    response = staff_client.post("/api/v1/facebook/callback", {
        "error": "access_denied", "error_reason": "user_denied",
        "error_description": "Permissions error.", "state": state, "error_code": "200",
    }, format="json")
    body = assert_error(response, 400, "access_denied")
    assert body["message"] == "The Facebook dialog was cancelled."
    assert "provider_message" not in body  # anyone's words (S37)
    assert fake_facebook.calls == []
    # The state is used up: the code cannot follow.
    again = staff_client.post("/api/v1/facebook/callback", {"code": "x", "state": state},
                              format="json")
    assert_error(again, 400, "state_used")


@pytest.mark.parametrize(("error", "code", "words"), [
    ("redirect_uri_mismatch", "redirect_uri_mismatch", "callback address"),
    ("something_else", "access_denied", "The Facebook dialog was cancelled."),
])
def test_callback_error_answer_keeps_a_known_error_code_like_github(
        staff_client, fake_facebook, error, code, words):
    state = authorize(staff_client)
    response = staff_client.post("/api/v1/facebook/callback", {"error": error, "state": state},
                                 format="json")
    body = assert_error(response, 400, code)
    assert words in body["message"]
    assert fake_facebook.calls == []


def test_callback_state_of_another_staff_user_is_refused_before_any_graph_call(
        staff_client, fake_facebook):
    state = authorize(staff_client)
    other = APIClient()
    other.force_login(page_manager("other"))
    response = other.post("/api/v1/facebook/callback", {"code": "x", "state": state},
                          format="json")
    assert_error(response, 400, "state_mismatch")
    assert fake_facebook.calls == []


def test_callback_state_from_the_github_flow_is_refused(staff_client, fake_facebook, rf):
    session = staff_client.session
    binding = session_binding(session)
    session.save()
    started = start_flow(purpose=FlowPurpose.GITHUB_LOGIN, binding=binding,
                         redirect_uri="http://testserver/auth/github/callback")
    response = staff_client.post("/api/v1/facebook/callback",
                                 {"code": "x", "state": started.state}, format="json")
    assert_error(response, 400, "state_invalid")
    assert fake_facebook.calls == []


def test_callback_reports_missing_permissions_by_name_and_stores_nothing(
        staff_client, fake_facebook):
    fake_facebook.scopes = ("pages_show_list",)
    body = assert_error(link(staff_client), 403, "permission_missing")
    assert body["missing"] == ["pages_read_engagement", "pages_manage_posts"]
    assert not FacebookPageLink.objects.filter(user_token__isnull=False).exists()


def test_callback_refuses_a_token_of_another_app(staff_client, fake_facebook):
    fake_facebook.info_app_id = "999"
    assert_error(link(staff_client), 400, "authorization_failed")
    assert "list_pages" not in fake_facebook.names()


def test_callback_without_a_postable_page_is_a_clear_400(staff_client, fake_facebook):
    fake_facebook.pages = [page("301", tasks=("ANALYZE",))]
    assert_error(link(staff_client), 400, "no_postable_page")
    assert not FacebookPageLink.objects.filter(user_token__isnull=False).exists()


def test_graph_failure_midway_leaves_nothing_half_linked(staff_client, fake_facebook):
    fake_facebook.fail["list_pages"] = ProviderUnavailable(provider="facebook")
    assert_error(link(staff_client), 502, "provider_unavailable")
    assert not FacebookPageLink.objects.filter(user_token__isnull=False).exists()


@pytest.mark.parametrize("body", [
    {"state": "x" * 43},
    {"code": "a", "error": "access_denied", "state": "x" * 43},
    {"code": "a b", "state": "x" * 43},
    {"code": "a\r\nX-Injected: 1", "state": "x" * 43},
    {"code": "a", "state": "x" * 42},
    {"code": ["a"], "state": "x" * 43},
    {"code": "a", "state": "x" * 43, "page_id": "9"},
])
def test_callback_validates_its_input(staff_client, fake_facebook, body):
    response = staff_client.post("/api/v1/facebook/callback", body, format="json")
    assert_error(response, 400, "validation_error")
    assert fake_facebook.calls == []


# --- link state and validity ----------------------------------------------------------------


def test_page_state_when_not_linked(staff_client, fake_facebook):
    response = staff_client.get("/api/v1/facebook/page")
    assert response.status_code == 200
    assert response.json()["linked"] is False
    assert fake_facebook.calls == []


def test_page_state_shows_live_validity_cached_briefly(staff_client, linked):
    from django.core.cache import cache

    cache.clear()
    first = staff_client.get("/api/v1/facebook/page").json()
    assert first["token"]["valid"] is True and first["page_token"]["valid"] is True
    assert first["page_token"]["expires_at"] is None  # Page tokens do not expire
    staff_client.get("/api/v1/facebook/page")
    # One debug_token per token; the second read is answered from the cache.
    assert linked.names() == ["debug_token", "debug_token"]


def test_invalid_token_means_relink_needed_never_a_500(staff_client, linked):
    linked.invalid_tokens.add(USER_TOKEN)
    from django.core.cache import cache

    cache.clear()
    body = staff_client.get("/api/v1/facebook/page").json()
    assert body["token"]["valid"] is False and body["relink_needed"] is True


def test_refused_app_token_on_debug_token_is_unknown_never_relink_needed(staff_client, linked):
    """Item 1: debug_token's top-level error is about our app credentials, not the link."""
    from django.core.cache import cache

    cache.clear()
    linked.fail["debug_token"] = ProviderMisconfigured(provider="facebook")
    body = staff_client.get("/api/v1/facebook/page").json()
    assert body["token"]["valid"] is None
    assert body["token"]["error_code"] == "provider_misconfigured"
    assert body["relink_needed"] is False
    del linked.fail["debug_token"]
    # Not cached as the token's validity: the next read asks again and sees a valid token.
    assert staff_client.get("/api/v1/facebook/page").json()["token"]["valid"] is True


def test_facebook_down_shows_unknown_validity_not_an_error(staff_client, linked):
    from django.core.cache import cache

    cache.clear()
    linked.fail["debug_token"] = ProviderUnavailable(provider="facebook")
    response = staff_client.get("/api/v1/facebook/page")
    assert response.status_code == 200
    body = response.json()
    assert body["token"]["valid"] is None
    assert body["token"]["error_code"] == "provider_unavailable"
    assert body["relink_needed"] is False


def test_pages_when_not_linked_is_409(staff_client, fake_facebook):
    assert_error(staff_client.get("/api/v1/facebook/pages"), 409, "not_linked")
    assert_error(staff_client.put("/api/v1/facebook/page", {"page_id": "1"}, format="json"),
                 409, "not_linked")


# --- unlink ---------------------------------------------------------------------------------


def test_unlink_revokes_and_forgets(staff_client, linked):
    response = staff_client.delete("/api/v1/facebook/page")
    assert response.status_code == 204
    assert linked.calls == [("revoke", USER_TOKEN)]
    row = stored()
    assert row.user_token is None and row.page_token is None and row.page_id == ""
    assert staff_client.get("/api/v1/facebook/page").json()["linked"] is False


def test_unlink_forgets_even_when_facebook_is_unreachable(staff_client, linked, caplog):
    linked.fail["revoke"] = ProviderUnavailable(provider="facebook")
    response = staff_client.delete("/api/v1/facebook/page")
    assert response.status_code == 204
    assert stored().user_token is None
    assert "revoke failed" in caplog.text
    assert "SENTINEL" not in caplog.text


def test_unlink_when_not_linked_is_still_204(staff_client, fake_facebook):
    assert staff_client.delete("/api/v1/facebook/page").status_code == 204
    assert fake_facebook.calls == []


def test_relinking_as_another_facebook_user_revokes_the_old_grant(staff_client, linked):
    linked.user_id = "20000000000002"
    assert link(staff_client).status_code == 200
    assert ("revoke", USER_TOKEN) in linked.calls
    assert stored().facebook_user_id == "20000000000002"


def test_relinking_as_the_same_facebook_user_revokes_nothing(staff_client, linked):
    assert link(staff_client).status_code == 200
    assert "revoke" not in linked.names()


def test_relink_survives_facebook_refusing_the_old_revocation(staff_client, linked):
    linked.user_id = "20000000000002"
    linked.fail["revoke"] = ProviderUnavailable(provider="facebook")
    assert link(staff_client).status_code == 200
    assert stored().facebook_user_id == "20000000000002"
