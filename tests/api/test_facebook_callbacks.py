"""Facebook's deauthorize and data-deletion callbacks: strict signed_request checks (S27, S30).

These use the real FacebookClient.parse_signed_request (the fake client inherits it).
"""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.conf import settings

from integrations.models import DataDeletionRequest, FacebookPageLink
from tests.fixtures.facebook import (
    assert_error,
)

pytestmark = pytest.mark.django_db
DEAUTH = "/api/v1/facebook/deauthorize"
DELETION = "/api/v1/facebook/data-deletion"
LINKED_USER = "10000000000001"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signed_request(payload: dict | bytes, secret: str | None = None) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    encoded = b64url(raw)
    key = (secret or settings.FACEBOOK_APP_SECRET).encode()
    return b64url(hmac.new(key, encoded.encode(), hashlib.sha256).digest()) + "." + encoded


def payload(user_id=LINKED_USER, **extra):
    return {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "user_id": user_id,
            **extra}


def still_linked() -> bool:
    return FacebookPageLink.objects.get().user_token is not None


def test_deauthorize_forgets_the_signed_users_tokens(api_client, linked):
    response = api_client.post(DEAUTH, {"signed_request": signed_request(payload())})
    assert response.status_code == 200
    assert not still_linked()


def test_deauthorize_for_another_facebook_user_changes_nothing(api_client, linked):
    response = api_client.post(DEAUTH, {"signed_request": signed_request(payload("777"))})
    assert response.status_code == 200
    assert still_linked()


def test_user_id_form_field_is_ignored_only_the_signed_one_counts(api_client, linked):
    response = api_client.post(DEAUTH, {"signed_request": signed_request(payload("777")),
                                        "user_id": LINKED_USER})
    assert response.status_code == 200
    assert still_linked()


def test_data_deletion_answers_a_working_status_url(api_client, linked):
    response = api_client.post(DELETION, {"signed_request": signed_request(payload())},
                               format="multipart")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"url", "confirmation_code"}
    assert body["confirmation_code"].isalnum()
    assert body["url"].startswith(settings.PUBLIC_URL + "/api/v1/facebook/data-deletion/")
    assert not still_linked()
    status = api_client.get(body["url"].removeprefix(settings.PUBLIC_URL))
    assert status.status_code == 200
    assert status.json() == {"confirmation_code": body["confirmation_code"],
                             "status": "completed"}
    record = DataDeletionRequest.objects.get()
    assert LINKED_USER not in record.facebook_user_hash


def test_data_deletion_codes_are_unique(api_client, fake_facebook):
    now = int(time.time())  # once: read per request, a second boundary made two the same
    codes = {api_client.post(DELETION, {"signed_request": signed_request(
        payload("5", issued_at=now - n))}).json()["confirmation_code"]
        for n in range(3)}
    assert len(codes) == 3


def test_unknown_status_code_is_a_404(api_client, db):
    assert_error(api_client.get("/api/v1/facebook/data-deletion/abc123"), 404, "not_found")


def flipped_payload_byte() -> str:
    sig, _, body = signed_request(payload()).partition(".")
    flipped = "B" if body[5] != "B" else "C"
    return f"{sig}.{body[:5]}{flipped}{body[6:]}"


@pytest.mark.parametrize("value", [
    pytest.param(flipped_payload_byte, id="flipped-byte"),
    pytest.param(lambda: signed_request(payload(algorithm="HMAC-SHA1")), id="sha1"),
    pytest.param(lambda: signed_request(payload(algorithm="none")), id="none"),
    pytest.param(lambda: signed_request({"user_id": LINKED_USER}), id="no-algorithm"),
    pytest.param(lambda: signed_request(payload(), secret="wrong-secret"), id="wrong-secret"),
    pytest.param(lambda: signed_request(payload()).replace(".", ""), id="no-dot"),
    pytest.param(lambda: "!!!." + signed_request(payload()).split(".")[1], id="not-base64"),
    pytest.param(lambda: "." + signed_request(payload()).split(".")[1], id="empty-sig"),
    pytest.param(lambda: signed_request(payload()).split(".")[0] + ".", id="empty-payload"),
    pytest.param(lambda: signed_request(b"not json"), id="not-json"),
    pytest.param(lambda: signed_request(b"[1, 2]"), id="json-list"),
    pytest.param(lambda: signed_request({"algorithm": "HMAC-SHA256"}), id="no-user-id"),
    pytest.param(lambda: signed_request(payload("\ud800")), id="surrogate-user-id"),
    pytest.param(lambda: signed_request(payload("12 OR 1=1")), id="non-numeric-user-id"),
    pytest.param(lambda: "", id="empty"),
])
@pytest.mark.parametrize("url", [DEAUTH, DELETION])
def test_forged_or_malformed_signed_request_is_a_400_and_changes_nothing(
        api_client, linked, url, value):
    response = api_client.post(url, {"signed_request": value()})
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"signed_request_invalid", "validation_error"}
    assert still_linked()
    assert not DataDeletionRequest.objects.exists()


def test_missing_signed_request_is_a_400(api_client, linked):
    assert_error(api_client.post(DEAUTH, {}), 400, "validation_error")


@pytest.mark.parametrize("fmt", ["multipart", "urlencoded"])
def test_huge_body_is_refused_without_a_500(api_client, linked, fmt):
    if fmt == "multipart":
        response = api_client.post(DELETION, {"signed_request": "a" * 1_000_000})
    else:
        response = api_client.post(DELETION, "signed_request=" + "a" * 1_000_000,
                                   content_type="application/x-www-form-urlencoded")
    assert_error(response, 413, "request_too_large")
    assert still_linked()


def test_json_body_is_not_accepted(api_client, linked):
    response = api_client.post(DEAUTH, {"signed_request": signed_request(payload())},
                               format="json")
    assert_error(response, 415, "unsupported_media_type")
    assert still_linked()


def test_callbacks_ignore_sessions_and_need_no_csrf(csrf_client, linked, staff_user):
    csrf_client.force_login(staff_user)
    response = csrf_client.post(DEAUTH, {"signed_request": signed_request(payload())})
    assert response.status_code == 200
    assert not still_linked()


# --- Freshness and replay (S30 h, issue 16 item 8) ------------------------------------------


@pytest.mark.parametrize(("url", "age_s"), [
    (DEAUTH, 3601), (DEAUTH, 86400 * 400), (DELETION, 3601),
    (DEAUTH, -120), (DELETION, -3600),  # "issued" in the future
])
def test_a_stale_or_future_signed_request_is_refused_and_changes_nothing(api_client, linked,
                                                                         url, age_s):
    request = signed_request(payload(issued_at=int(time.time()) - age_s))
    body = assert_error(api_client.post(url, {"signed_request": request}), 400,
                        "signed_request_invalid")
    assert "old" in body["message"] or "future" in body["message"]
    assert still_linked() and not DataDeletionRequest.objects.exists()


@pytest.mark.parametrize("issued_at", [None, "yesterday", True])
def test_a_signed_request_without_a_readable_issued_at_is_refused(api_client, linked,
                                                                   issued_at):
    body = payload()
    body.pop("issued_at") if issued_at is None else body.update(issued_at=issued_at)
    assert_error(api_client.post(DEAUTH, {"signed_request": signed_request(body)}), 400,
                 "signed_request_invalid")
    assert still_linked()


def test_the_window_is_configurable(api_client, linked, settings):
    settings.FACEBOOK_SIGNED_REQUEST_MAX_AGE_S = 60
    request = signed_request(payload(issued_at=int(time.time()) - 120))
    assert_error(api_client.post(DEAUTH, {"signed_request": request}), 400,
                 "signed_request_invalid")
    settings.FACEBOOK_SIGNED_REQUEST_MAX_AGE_S = 300
    assert api_client.post(DEAUTH, {"signed_request": request}).status_code == 200


@pytest.mark.parametrize("url", [DEAUTH, DELETION])
def test_a_captured_signed_request_cannot_be_replayed(api_client, linked, url):
    captured = signed_request(payload(issued_at=int(time.time()) - 30))
    assert api_client.post(url, {"signed_request": captured}).status_code == 200
    body = assert_error(api_client.post(url, {"signed_request": captured}), 400,
                        "signed_request_invalid")
    assert "already processed" in body["message"]
    assert DataDeletionRequest.objects.count() == (1 if url == DELETION else 0)


@pytest.mark.parametrize(("first", "then"), [(DELETION, DEAUTH), (DEAUTH, DELETION)])
def test_one_signed_request_serves_one_callback(api_client, linked, first, then):
    """Issue 23: Facebook signs each callback's request afresh, so the same request at the
    other callback is a replay too (a data-deletion request was accepted at deauthorize)."""
    captured = signed_request(payload(issued_at=int(time.time()) - 30))
    assert api_client.post(first, {"signed_request": captured}).status_code == 200
    body = assert_error(api_client.post(then, {"signed_request": captured}), 400,
                        "signed_request_invalid")
    assert "already processed" in body["message"]
    assert DataDeletionRequest.objects.count() == (1 if first == DELETION else 0)


def test_each_callback_accepts_its_own_fresh_request_for_the_same_user(api_client, linked):
    now = int(time.time())
    deauthorize = signed_request(payload(issued_at=now - 5))
    deletion = signed_request(payload(issued_at=now - 4))
    assert api_client.post(DEAUTH, {"signed_request": deauthorize}).status_code == 200
    assert api_client.post(DELETION, {"signed_request": deletion}).status_code == 200


def test_a_refused_request_leaves_no_receipt_behind(api_client, linked):
    """A refused request is not remembered: only processed ones count as seen."""
    from integrations.models import SignedRequestReceipt

    api_client.post(DEAUTH, {"signed_request": signed_request(payload("not-an-id"))})
    assert not SignedRequestReceipt.objects.exists()
