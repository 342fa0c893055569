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
    APP = "app", "Delivered by the GitHub App (no repository hook)"


class DisabledReason(models.TextChoices):
    """Why the app took an automation out of service (empty: it did not)."""

    INSTALLATION_DELETED = "installation_deleted", "The GitHub App was uninstalled"
    INSTALLATION_SUSPENDED = "installation_suspended", "The GitHub App installation is suspended"
    REPOSITORY_REMOVED = "repository_removed", "The repository was removed from the installation"


class Installation(models.Model):
    """An installation of our GitHub App, as GitHub describes it (never as a setup URL says):
    the account it is on, and the repositories it lets us read. No token is stored: they are
    minted per hour into the shared cache (integrations.github.token_cache)."""

    github_id = models.BigIntegerField(unique=True, help_text="GitHub's installation id")
    account_login = models.CharField(max_length=100)
    account_id = models.BigIntegerField()
    account_type = models.CharField(max_length=20)  # User or Organization
    repository_selection = models.CharField(max_length=10)  # all or selected
    repositories = models.JSONField(default=list)  # owner/name, as last read from GitHub
    suspended = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)  # uninstalled at GitHub
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    connected_at = models.DateTimeField(auto_now_add=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("account_login", "github_id")

    def __str__(self) -> str:
        return f"Installation {self.github_id} ({self.account_login})"

    def covers(self, repository: str) -> bool:
        return repository.lower() in {name.lower() for name in self.repositories}


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
    # App mode: the installation that delivers this repository's events.
    installation = models.ForeignKey(Installation, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="automations")
    disabled_reason = models.CharField(max_length=32, choices=DisabledReason.choices,
                                       blank=True)
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
    UPDATED = "updated", "Installation change applied"
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
