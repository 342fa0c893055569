"""An automation (repository → Page post) and the webhook deliveries it received."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from integrations.crypto import EncryptedTextField


class AutomationEvent(models.TextChoices):
    RELEASE = "release", "Release published"
    TAG = "tag", "Tag pushed"


class HookMode(models.TextChoices):
    GITHUB = "github", "Registered through GitHub's API"
    MANUAL = "manual", "Pasted into GitHub's settings by hand"


class Automation(models.Model):
    repository = models.CharField(max_length=140, help_text="owner/name")
    events = models.JSONField(default=list)  # AutomationEvent values
    message_template = models.TextField()
    link = models.URLField(max_length=2000, blank=True, help_text="Empty: the release URL.")
    # A photo post with this image; `targets` adds Instagram (integrations.services.instagram).
    image = models.ForeignKey("integrations.MediaImage", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="automations")
    targets = models.JSONField(default=list, blank=True, help_text='["facebook"] when empty.')
    enabled = models.BooleanField(default=True)
    hook_mode = models.CharField(max_length=8, choices=HookMode.choices,
                                 default=HookMode.GITHUB)
    hook_id = models.BigIntegerField(null=True, blank=True)  # GitHub's id while registered
    # Random per automation (S51): signs every delivery; shown once, encrypted at rest.
    secret = EncryptedTextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [  # one per repository: two would post every release twice
            models.UniqueConstraint(Lower("repository"), name="one_automation_per_repository"),
        ]

    def __str__(self) -> str:
        return f"Automation #{self.pk} ({self.repository})"


class DeliveryOutcome(models.TextChoices):
    PING = "ping", "Ping answered"
    QUEUED = "queued", "Page post queued"
    IGNORED = "ignored", "Ignored (event or action not automated)"
    DISABLED = "disabled", "Ignored (automation disabled)"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One verified delivery, keyed by its automation and GitHub's `X-GitHub-Delivery` (a
    redelivery keeps it): a redelivery updates this row, it never makes a second one. Delivery
    ids are unique per automation only: one signed for B never touches A's row."""

    delivery_id = models.CharField(max_length=64)
    automation = models.ForeignKey(Automation, null=True, on_delete=models.SET_NULL,
                                   related_name="deliveries")
    event = models.CharField(max_length=64)
    action = models.CharField(max_length=64, blank=True)
    repository = models.CharField(max_length=140, blank=True)
    tag = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=16, choices=DeliveryOutcome.choices)
    detail = models.CharField(max_length=255, blank=True)
    # The Page post it queued (its Idempotency-Key derives from the signed content, so several
    # deliveries of one release name the same post).
    page_post = models.ForeignKey("integrations.PagePost", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    times_received = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_received_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ("-received_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=("automation", "delivery_id"),
                                    name="one_delivery_row_per_automation"),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.delivery_id} ({self.event}: {self.outcome})"
