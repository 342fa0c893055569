"""Admin: automations and deliveries to read; the secret is never shown (S51)."""

from django.contrib import admin

from automations.models import Automation, WebhookDelivery


@admin.register(Automation)
class AutomationAdmin(admin.ModelAdmin):
    list_display = ("repository", "enabled", "hook_mode", "hook_id", "created_by", "created_at")
    list_filter = ("enabled", "hook_mode")
    exclude = ("secret",)
    readonly_fields = ("repository", "hook_mode", "hook_id", "created_by", "created_at",
                       "updated_at")


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
