"""Django admin for the Facebook Page link, Page posts and data-deletion requests.

Everything is read-only: linking happens through the staff page of the SPA (OAuth needs the
dialog), tokens are shown masked, and validity is checked live (cached ~60 s) without ever
turning a Facebook error into a 500.
"""

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from solo.admin import SingletonModelAdmin

from integrations.crypto import mask_token
from integrations.errors import IntegrationError
from integrations.models import (
    DataDeletionRequest,
    FacebookPageLink,
    PagePost,
    TokenWarning,
    can_manage_facebook_page,
)
from integrations.redirects import spa_url
from integrations.services.facebook.link_state import facebook_link_state
from integrations.services.facebook.token_checks import check_token
from integrations.services.token_warnings import link_warnings

_READONLY = ("facebook_user_id", "masked_user_token", "user_token_validity",
             "user_token_expires_at", "data_access_expires_at", "scopes", "page_id", "page_name",
             "masked_page_token", "page_token_validity", "candidate_pages", "linked_by",
             "linked_at", "updated_at", "token_warnings", "connect")


def _validity(token: str | None) -> str:
    if not token:
        return "—"
    try:
        check = check_token(token)
    except IntegrationError as exc:  # e.g. Facebook not configured: show it, never a 500
        return f"unknown: {exc.message}"
    if check.valid is None:
        return f"unknown: {check.error_message}"
    if not check.valid:
        return f"invalid: {check.error_message}" if check.error_message else "invalid"
    expires = date_format(check.expires_at, "DATETIME_FORMAT") if check.expires_at else "never"
    missing = f"; missing permissions: {', '.join(check.missing_scopes)}" \
        if check.missing_scopes else ""
    return f"valid, expires at {expires}{missing}"


@admin.register(FacebookPageLink)
class FacebookPageLinkAdmin(SingletonModelAdmin):
    fields = _READONLY
    readonly_fields = _READONLY

    def get_fields(self, request, obj=None):
        """The way to (re)link is offered only to those who may manage the Page (S32)."""
        if can_manage_facebook_page(request.user):
            return _READONLY
        return tuple(f for f in _READONLY if f != "connect")

    @admin.display(description="User token")
    def masked_user_token(self, link):
        return mask_token(link.user_token)

    @admin.display(description="Page token")
    def masked_page_token(self, link):
        return mask_token(link.page_token)

    @admin.display(description="User token validity")
    def user_token_validity(self, link):
        return _validity(link.user_token)

    @admin.display(description="Page token validity")
    def page_token_validity(self, link):
        return _validity(link.page_token)

    @admin.display(description="Warnings")
    def token_warnings(self, link):
        try:
            warnings = link_warnings(facebook_link_state())
        except IntegrationError as exc:  # e.g. Facebook not configured: show it, never a 500
            return f"unknown: {exc.message}"
        if not warnings:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join(
            "", "<li><strong>{}</strong>: {}</li>", ((w.code, w.message) for w in warnings)))

    @admin.display(description="Connect")
    def connect(self, link):
        label = "Link again with Facebook" if link.is_linked else "Connect with Facebook"
        return format_html('<a href="{}">{}</a>', spa_url() + "/facebook", label)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PagePost)
class PagePostAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "status", "attempts", "next_attempt_at", "source",
                    "created_by", "page_id", "facebook_post_id", "error_code")
    list_filter = ("status", "source")
    search_fields = ("message", "facebook_post_id", "idempotency_key")
    fields = ("idempotency_key", "page_id", "message", "link", "scheduled_at", "status",
              "attempts", "attempt_started_at", "attempt_ended_at", "next_attempt_at",
              "facebook_post_id", "error_code", "error_message", "source", "created_by",
              "created_at", "completed_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TokenWarning)
class TokenWarningAdmin(admin.ModelAdmin):
    """Warnings emailed to staff (each token and threshold once)."""

    list_display = ("sent_at", "code", "subject", "threshold", "expires_at")
    list_filter = ("code",)
    fields = ("sent_at", "code", "subject", "threshold", "expires_at", "message")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DataDeletionRequest)
class DataDeletionRequestAdmin(admin.ModelAdmin):
    list_display = ("confirmation_code", "status", "requested_at", "completed_at")
    fields = ("confirmation_code", "status", "requested_at", "completed_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
