"""Authentication classes: API tokens for apps, the session cookie (with CSRF) for the SPA."""

from knox.auth import TokenAuthentication
from rest_framework.authentication import SessionAuthentication


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>` — knox tokens: hashed at rest, expiring, per device."""


class CsrfSessionAuthentication(SessionAuthentication):
    """The SPA's session cookie; unsafe methods need the `X-CSRFToken` header (DRF enforces it)."""
