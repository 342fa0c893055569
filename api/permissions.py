"""Permissions shared by API views."""

from rest_framework.permissions import BasePermission


class IsStaffUser(BasePermission):
    """Signed in (401 otherwise) and staff (403 otherwise)."""

    message = "Only staff can manage the Facebook Page."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
