"""Facebook's signed_request (deauthorize and data-deletion callbacks). Plain Python, no Django.

Docs: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
("Detecting When People Uninstall Apps"; facts in ../shared/PROVIDERS.md B14).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Any

from integrations.errors import InvalidSignedRequest

MAX_SIGNED_REQUEST_CHARS = 8192
_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def parse_signed_request(value: Any, *, app_secret: str) -> dict[str, Any]:
    """Verify `base64url(sig).base64url(payload)` and return the payload. Any malformed,
    forged or non-HMAC-SHA256 input raises InvalidSignedRequest, nothing else."""
    try:
        return _verify(value, app_secret)
    except InvalidSignedRequest:
        raise
    except (ValueError, TypeError, RecursionError, binascii.Error):
        raise InvalidSignedRequest(provider="facebook") from None


def _verify(value: Any, app_secret: str) -> dict[str, Any]:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_SIGNED_REQUEST_CHARS:
        raise InvalidSignedRequest(provider="facebook")
    encoded_sig, _, encoded_payload = value.partition(".")
    signature = _b64url_decode(encoded_sig)
    payload = _b64url_decode(encoded_payload)
    expected = hmac.new(
        app_secret.encode(), encoded_payload.encode("ascii"), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(signature, expected):
        raise InvalidSignedRequest(provider="facebook")
    data = json.loads(payload.decode("utf-8"))
    algorithm = data.get("algorithm") if isinstance(data, dict) else None
    if not isinstance(algorithm, str) or algorithm.upper() != "HMAC-SHA256":
        raise InvalidSignedRequest(provider="facebook")
    return data


def _b64url_decode(value: str) -> bytes:
    if not _B64URL.fullmatch(value):
        raise InvalidSignedRequest(provider="facebook")
    stripped = value.rstrip("=")
    padded = stripped + "=" * (-len(stripped) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)
