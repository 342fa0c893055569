"""parse_signed_request: only a well-formed HMAC-SHA256 payload signed with our secret passes;
everything else is InvalidSignedRequest, never another exception."""

import base64
import hashlib
import hmac
import json
import random
import string

import pytest

from integrations.errors import InvalidSignedRequest

from .conftest import FB_SECRET

PAYLOAD = {"algorithm": "HMAC-SHA256", "issued_at": 1624244156, "user_id": "218471"}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sign(payload, secret=FB_SECRET, *, raw_payload=None):
    encoded = b64url(raw_payload if raw_payload is not None else json.dumps(payload).encode())
    sig = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return f"{b64url(sig)}.{encoded}"


def test_valid_signed_request_returns_the_payload(facebook_client):
    assert facebook_client.parse_signed_request(sign(PAYLOAD)) == PAYLOAD


def test_algorithm_is_case_insensitive(facebook_client):
    payload = {**PAYLOAD, "algorithm": "hmac-sha256"}
    assert facebook_client.parse_signed_request(sign(payload))["user_id"] == "218471"


def test_padded_base64_is_accepted(facebook_client):
    sig, payload = sign(PAYLOAD).split(".")
    padded_sig = sig + "=" * (-len(sig) % 4)
    # The HMAC covers the payload exactly as sent, so only the signature may gain padding here.
    assert facebook_client.parse_signed_request(f"{padded_sig}.{payload}") == PAYLOAD


def test_extra_fields_are_kept(facebook_client):
    payload = {**PAYLOAD, "expires": 1291840400, "something_new": [1, 2]}
    assert facebook_client.parse_signed_request(sign(payload)) == payload


@pytest.mark.parametrize("value", [
    sign(PAYLOAD, secret="another-apps-secret"),
    sign({**PAYLOAD, "algorithm": "HMAC-SHA1"}),
    sign({**PAYLOAD, "algorithm": "none"}),
    sign({k: v for k, v in PAYLOAD.items() if k != "algorithm"}),
    sign({**PAYLOAD, "algorithm": ["HMAC-SHA256"]}),
    sign(None, raw_payload=b"[1, 2, 3]"),
    sign(None, raw_payload=b'"HMAC-SHA256"'),
    sign(None, raw_payload=b"not json"),
    sign(None, raw_payload=b"\xff\xfe\x00"),
    sign(None, raw_payload=b"[" * 5000 + b"]" * 5000),
    sign(None, raw_payload=b""),
    "",
    ".",
    "nodot",
    "." + sign(PAYLOAD).split(".")[1],
    sign(PAYLOAD).split(".")[0] + ".",
    sign(PAYLOAD) + ".extra",
    sign(PAYLOAD).replace("-", "+").replace("_", "/"),
    "abc$.def",
    "a===.b",
    "é." + sign(PAYLOAD).split(".")[1],
    "A" * 9000 + "." + "B" * 10,
    None,
    b"bytes.value",
    12345,
    {"signed_request": "x"},
])
def test_anything_else_is_invalid(facebook_client, value):
    with pytest.raises(InvalidSignedRequest) as info:
        facebook_client.parse_signed_request(value)
    assert info.value.status == 400 and info.value.code == "signed_request_invalid"
    assert FB_SECRET not in f"{info.value} {info.value!r}"


def test_tampered_payload_is_invalid(facebook_client):
    sig, _payload = sign(PAYLOAD).split(".")
    forged = b64url(json.dumps({**PAYLOAD, "user_id": "1"}).encode())
    with pytest.raises(InvalidSignedRequest):
        facebook_client.parse_signed_request(f"{sig}.{forged}")


def test_random_garbage_never_raises_anything_else(facebook_client):
    rng = random.Random(1234)
    alphabet = string.ascii_letters + string.digits + "-_=.+/ %é\x00"
    for _ in range(2000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        with pytest.raises(InvalidSignedRequest):
            facebook_client.parse_signed_request(value)
