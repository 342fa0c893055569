"""GitHub webhook signatures: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.

https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries. Plain Python, no
Django: the caller hands over the raw body bytes, before any JSON parsing (S48).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="
SIGNATURE_HEADER = "X-Hub-Signature-256"


def sign(secret: str, body: bytes) -> str:
    """The header value GitHub sends for `body` (tests and the sandbox use it too)."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str | None, body: bytes, header: str | None) -> bool:
    """True only for a well-formed sha256 signature of `body` with `secret`, compared in
    constant time. A missing header, the legacy `sha1=` one or an empty secret is False."""
    if not secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())
