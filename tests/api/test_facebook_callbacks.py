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
    codes = {api_client.post(DELETION, {"signed_request": signed_request(payload("5"))})
             .json()["confirmation_code"] for _ in range(3)}
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
