"""Facebook `signed_request` values, for tests of the deauthorize and data-deletion callbacks.

Format: base64url(HMAC-SHA256(app_secret, payload_b64)) + "." + payload_b64, where payload_b64 is
base64url(JSON) — both without padding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def build_signed_request(user_id: str, app_secret: str, *, issued_at: int | None = None,
                         **extra: Any) -> str:
    """A valid signed_request for `user_id` (extra keys, e.g. `expires`, go into the payload)."""
    payload = {"algorithm": "HMAC-SHA256",
               "issued_at": int(time.time()) if issued_at is None else issued_at,
               "user_id": str(user_id), **extra}
    encoded = b64url(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(app_secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return f"{b64url(signature)}.{encoded}"
