from django.conf import settings
from django.db import models

from integrations.crypto import EncryptedTextField


class GitHubAccount(models.Model):
    """A user's GitHub identity, keyed by GitHub's immutable numeric id (never login or email)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="github_account")
    github_id = models.BigIntegerField(unique=True)
    login = models.CharField(max_length=100)
    name = models.CharField(max_length=255, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    html_url = models.URLField(max_length=500, blank=True)
    email = models.EmailField(blank=True, help_text="Primary verified address at sign-up.")
    company = models.CharField(max_length=255, blank=True)
    location = models.CharField(max_length=255, blank=True)
    bio = models.TextField(blank=True)
    access_token = EncryptedTextField()
    refresh_token = EncryptedTextField(blank=True, null=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=500, blank=True, help_text="Granted, comma-separated.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    staff_from_list = models.BooleanField(
        default=False, help_text="Staff status was granted by STAFF_GITHUB_LOGINS.")

    class Meta:
        verbose_name = "GitHub account"

    def __str__(self) -> str:
        return f"{self.login} ({self.github_id})"

    @property
    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split(",") if s]


class RevocationKind(models.TextChoices):
    TOKEN = "token", "One token (DELETE /applications/{client_id}/token)"
    GRANT = "grant", "The whole grant (DELETE /applications/{client_id}/grant)"


class RevocationStatus(models.TextChoices):
    PENDING = "pending", "Pending (the worker tries, with back-off)"
    DONE = "done", "Revoked"
    FAILED = "failed", "Failed (retries ran out)"


class GitHubRevocation(models.Model):
    """A GitHub token or grant to revoke, tried by the worker until GitHub confirms or the
    retries run out. The token is kept encrypted only while it is needed (never in a task's
    arguments): cleared once revoked."""

    kind = models.CharField(max_length=8, choices=RevocationKind.choices)
    token = EncryptedTextField(blank=True)
    reason = models.CharField(max_length=32, help_text="Why: account_deleted, "
                              "sign_in_failed, scopes_not_requested.")
    github_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=RevocationStatus.choices,
                              default=RevocationStatus.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=64, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "GitHub revocation"

    def __str__(self) -> str:
        return f"Revoke {self.kind} #{self.pk} ({self.reason}: {self.status})"
