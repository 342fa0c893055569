"""Authentication classes: API tokens for apps, the session cookie (with CSRF) for the SPA."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS

from api.principal import get_principal
from integrations.models import with_page_manager_flag
from integrations.prepared import PreparedLookup


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>` — knox tokens: hashed at rest, expiring, per device."""


class CsrfSessionAuthentication(SessionAuthentication):
    """The SPA's session cookie; unsafe methods need the `X-CSRFToken` header (DRF enforces it).

    A safe method is accepted by Django's CSRF check before it looks at any token, so it is not
    run for them: DRF would build the check (and read the cookie again) on every GET."""

    def enforce_csrf(self, request):
        if request.method not in SAFE_METHODS:
            super().enforce_csrf(request)


class SessionUserBackend(ModelBackend):
    """ModelBackend whose session user comes with its GitHub account and whether it may manage
    the Facebook Page, in one query, kept in the shared cache between requests
    (api.principal: invalidated by every change that could alter it).

    The encrypted token columns are left out: most requests never use the token, so they neither
    carry nor decrypt it (reading `access_token` loads and decrypts it on demand). Sign-ins name
    it in `login()`; passwords (the admin) stay with ModelBackend, listed after it, which also
    keeps sessions made before this backend existed valid.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        return None  # ModelBackend checks passwords: each failed password is hashed once

    def get_user(self, user_id):
        return get_principal(user_id, load=self.load_user)

    def load_user(self, user_id):
        """The user from the database, or None (gone, or not allowed to authenticate)."""
        user = _SESSION_USER.first(int(user_id))
        return user if user is not None and self.user_can_authenticate(user) else None


def _session_user_query(user_id):
    """The user, its GitHub account without the token columns, and the Page permission (staff
    read it on every /me), in one query."""
    users = with_page_manager_flag(get_user_model()._default_manager).select_related(
        "github_account").defer("github_account__access_token", "github_account__refresh_token")
    return users.filter(pk=user_id)


_SESSION_USER = PreparedLookup(_session_user_query)


def issue_api_token(user) -> tuple[str, datetime]:
    """A new API token for one device: the raw token (shown once) and when it expires."""
    instance, token = AuthToken.objects.create(user)
    return token, instance.expiry
