"""The Django admin, open only to accounts an operator chose: superusers (`createsuperuser`)
and the usernames in ADMIN_SITE_USERS.

Staff status alone is not enough: GitHub sign-in makes people staff (STAFF_GITHUB_LOGINS) for
the API's staff features (the Facebook Page, automations), and that must not bring the admin
site, its password change form and every model it shows along with it.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


def may_use_admin_site(user) -> bool:
    """Active staff who are superusers or listed by username in ADMIN_SITE_USERS."""
    if not (user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.get_username() in settings.ADMIN_SITE_USERS


class BridgeAdminSite(admin.AdminSite):
    def has_permission(self, request) -> bool:
        return may_use_admin_site(request.user)


class BridgeAdminConfig(AdminConfig):
    """INSTALLED_APPS names this instead of django.contrib.admin: `admin.site` is ours."""

    default_site = "backend.admin_site.BridgeAdminSite"
