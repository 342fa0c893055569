"""Permissions shared by API views."""

from rest_framework.permissions import BasePermission

from integrations.models import can_manage_facebook_page


class CanManageFacebookPage(BasePermission):
    """Signed in (401 otherwise), staff with the Page permission (403 otherwise)."""

    message = "Only staff allowed to manage the Facebook Page can do this."

    def has_permission(self, request, view):
        return can_manage_facebook_page(request.user)
