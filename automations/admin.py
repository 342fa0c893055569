"""Admin: automations and deliveries to read; the secret is never shown (S51). Changes go
through the API (or the SPA), which keeps GitHub's hook in step."""

from django.contrib import admin

from automations.models import Automation, Installation, WebhookDelivery


@admin.register(Automation)
class AutomationAdmin(admin.ModelAdmin):
    list_display = ("repository", "enabled", "hook_mode", "hook_id", "installation",
                    "disabled_reason", "created_by", "created_at")
    list_filter = ("enabled", "hook_mode", "disabled_reason")
    exclude = ("secret",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "secret"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deleting here would leave the hook at GitHub


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("delivery_id", "event", "repository", "tag", "outcome", "times_received",
                    "received_at")
    list_filter = ("outcome", "event")
    search_fields = ("delivery_id", "repository", "tag")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    """Read only: GitHub owns installations (connect through the SPA, uninstall on GitHub)."""

    list_display = ("github_id", "account_login", "account_type", "repository_selection",
                    "suspended", "deleted_at", "connected_by", "synced_at")
    list_filter = ("suspended", "account_type")
    search_fields = ("account_login", "github_id")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # automations point at it; an uninstall at GitHub is what removes it
