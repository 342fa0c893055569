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
