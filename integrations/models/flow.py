from django.conf import settings
from django.db import models

from integrations.crypto import EncryptedTextField


class FlowPurpose(models.TextChoices):
    GITHUB_LOGIN = "github_login", "GitHub sign-in"
    FACEBOOK_PAGE_LINK = "facebook_page_link", "Facebook Page link"
    GITHUB_APP_INSTALL = "github_app_install", "GitHub App installation"


class FlowClient(models.TextChoices):
    BROWSER = "browser", "Browser (session cookie)"
    APP = "app", "Mobile or desktop app (API token)"


class OAuthFlow(models.Model):
    """One pending authorization: created at authorize, consumed once at callback.

    Only a SHA-256 of the state is stored, so a database read cannot replay a flow.
    """

    state_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=32, choices=FlowPurpose.choices)
    client = models.CharField(max_length=16, choices=FlowClient.choices)
    # Browser flows: hash of a random value kept in the session. App flows: the S256 challenge.
    binding_hash = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    redirect_uri = models.CharField(max_length=2000)
    code_challenge = models.CharField(max_length=128, blank=True)
    code_verifier = EncryptedTextField(blank=True, null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OAuth flow"

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} flow #{self.pk}"
