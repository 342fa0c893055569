"""Authentication classes: API tokens for apps, the session cookie (with CSRF) for the SPA."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework.authentication import SessionAuthentication


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>` — knox tokens: hashed at rest, expiring, per device."""


class CsrfSessionAuthentication(SessionAuthentication):
    """The SPA's session cookie; unsafe methods need the `X-CSRFToken` header (DRF enforces it)."""


class SessionUserBackend(ModelBackend):
    """ModelBackend whose session user comes with its GitHub account in the same query.

    The encrypted token columns are left out: most requests never use the token, so they neither
    carry nor decrypt it (reading `access_token` loads and decrypts it on demand). Sign-ins name
    it in `login()`; passwords (the admin) stay with ModelBackend, listed after it, which also
    keeps sessions made before this backend existed valid.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        return None  # ModelBackend checks passwords: each failed password is hashed once

    def get_all_permissions(self, user_obj, obj=None):
        """ModelBackend's answer in one query (its own, direct then group, takes two): staff
        read `can_manage_facebook_page` on every /me. Cached on the user like ModelBackend's."""
        if user_obj.is_superuser or obj is not None or not user_obj.is_active \
                or user_obj.is_anonymous or hasattr(user_obj, "_perm_cache"):
            return super().get_all_permissions(user_obj, obj)
        granted = (Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
                   .values_list("content_type__app_label", "codename").distinct())
        user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in granted}
        return user_obj._perm_cache

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("github_account").defer(
            "github_account__access_token", "github_account__refresh_token")
        try:
            user = users.get(pk=user_id)  # not .first(): no ORDER BY to build and run
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def issue_api_token(user) -> tuple[str, datetime]:
    """A new API token for one device: the raw token (shown once) and when it expires."""
    instance, token = AuthToken.objects.create(user)
    return token, instance.expiry
