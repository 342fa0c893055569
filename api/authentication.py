"""Authentication classes: API tokens for apps, the session cookie (with CSRF) for the SPA."""

from datetime import datetime

from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework.authentication import SessionAuthentication


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>` — knox tokens: hashed at rest, expiring, per device."""


class CsrfSessionAuthentication(SessionAuthentication):
    """The SPA's session cookie; unsafe methods need the `X-CSRFToken` header (DRF enforces it)."""


def issue_api_token(user) -> tuple[str, datetime]:
    """A new API token for one device: the raw token (shown once) and when it expires."""
    instance, token = AuthToken.objects.create(user)
    return token, instance.expiry
