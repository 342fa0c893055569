"""The staff Facebook Page link (a singleton), Page posts, and data-deletion requests."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from solo.models import SingletonModel

from integrations.crypto import EncryptedTextField

MANAGE_PERMISSION_CODENAME = "manage_facebook_page"
MANAGE_FACEBOOK_PAGE = "integrations." + MANAGE_PERMISSION_CODENAME


# Set by `with_page_manager_flag` on users loaded with it (the session user, see
# api.authentication): whether they hold the permission directly or through a group.
HOLDS_PAGE_PERMISSION = "holds_manage_facebook_page"


def can_manage_facebook_page(user) -> bool:
    """Active staff holding `integrations.manage_facebook_page` (S32): the one rule, for the
    API, the /me answer the SPA reads, and the admin."""
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    held = getattr(user, HOLDS_PAGE_PERMISSION, None)
    if held is not None:  # loaded in the user's own query: no permission query per request
        return bool(held) or user.is_superuser
    return user.has_perm(MANAGE_FACEBOOK_PAGE)


def with_page_manager_flag(users):
    """`users` (a User queryset) annotated with HOLDS_PAGE_PERMISSION, as has_perm would find
    it (a user or group permission), inside the same query."""
    return users.annotate(**page_manager_flag(OuterRef("pk")))


def page_manager_flag(user_pk) -> dict:
    """The HOLDS_PAGE_PERMISSION annotation for the user `user_pk` names (a value or an
    OuterRef), for a query that loads that user another way (the sign-in's account row)."""
    from django.contrib.auth.models import Permission

    holders = Permission.objects.filter(
        Q(user=user_pk) | Q(group__user=user_pk),
        content_type__app_label="integrations", codename=MANAGE_PERMISSION_CODENAME)
    return {HOLDS_PAGE_PERMISSION: Exists(holders)}


class FacebookPageLink(SingletonModel):
    """The one Facebook Page this site posts to, and the long-lived user token behind it.

    Tokens are encrypted at rest. `candidate_pages` lists the Pages (id, name, category, tasks —
    never tokens) the linked user may post to, for the staff member to pick from.
    """

    facebook_user_id = models.CharField(max_length=64, blank=True)
    user_token = EncryptedTextField(blank=True, null=True)
    user_token_expires_at = models.DateTimeField(null=True, blank=True)
    data_access_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=1000, blank=True, help_text="Granted, comma-separated.")
    page_id = models.CharField(max_length=64, blank=True)
    page_name = models.CharField(max_length=255, blank=True)
    page_token = EncryptedTextField(blank=True, null=True)
    candidate_pages = models.JSONField(default=list, blank=True)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Facebook Page link"
        # S32: linking, unlinking and posting need this, not only is_staff.
        permissions = [(MANAGE_PERMISSION_CODENAME,
                        "Can link, unlink and post to the Facebook Page")]

    def __str__(self) -> str:
        if self.page_id:
            return f"Facebook Page {self.page_name or self.page_id}"
        return "Facebook Page link" + ("" if self.is_linked else " (not linked)")

    @property
    def is_linked(self) -> bool:
        """A Facebook user is connected (a Page may still have to be picked)."""
        return bool(self.user_token)

    @property
    def has_page(self) -> bool:
        return bool(self.page_id and self.page_token)

    def forget(self) -> None:
        """Clear every token and identifier (unlink, deauthorize, data deletion)."""
        self.facebook_user_id = ""
        self.user_token = None
        self.user_token_expires_at = None
        self.data_access_expires_at = None
        self.scopes = ""
        self.page_id = ""
        self.page_name = ""
        self.page_token = None
        self.candidate_pages = []
        self.linked_by = None
        self.linked_at = None


class PagePostStatus(models.TextChoices):
    QUEUED = "queued", "Queued"  # waiting for a worker (enqueue_page_post)
    PENDING = "pending", "Pending"  # a Graph call is being made right now
    RETRYING = "retrying", "Retrying"  # a transient failure; the next attempt is scheduled
    UNKNOWN = "unknown", "Outcome unknown"  # no answer from Graph: being reconciled
    PUBLISHED = "published", "Published"
    SCHEDULED = "scheduled", "Scheduled"
    FAILED = "failed", "Failed"


# Statuses still in progress (the API answers 202 with them); the others are final.
IN_PROGRESS_STATUSES = (PagePostStatus.QUEUED, PagePostStatus.PENDING, PagePostStatus.RETRYING,
                        PagePostStatus.UNKNOWN)


class PagePostSource(models.TextChoices):
    API = "api", "API"
    SERVICE = "service", "Django code"
    COMMAND = "command", "Management command"


class PagePost(models.Model):
    """One attempt to post to the Page. The unique idempotency key makes retries safe."""

    idempotency_key = models.CharField(max_length=255, unique=True)
    # SHA-256 of the normalised request (message, link, scheduled_at): a reused key must match.
    request_fingerprint = models.CharField(max_length=64)
    page_id = models.CharField(max_length=64, blank=True)
    message = models.TextField()
    link = models.URLField(max_length=2000, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=PagePostStatus.choices,
                              default=PagePostStatus.PENDING)
    facebook_post_id = models.CharField(max_length=128, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=PagePostSource.choices,
                              default=PagePostSource.SERVICE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Graph calls made so far, and the window of the latest one (reconciliation matches posts
    # Facebook created inside it).
    attempts = models.PositiveSmallIntegerField(default=0)
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    attempt_ended_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Page post"
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["status", "attempt_started_at"],
                                name="pagepost_status_started")]

    def __str__(self) -> str:
        return f"Page post #{self.pk} ({self.status})"


class TokenWarning(models.Model):
    """A token-expiry warning sent to staff: one row per token and threshold, so each warns once.

    `subject` names the token (kind and a short hash of it, never the token: a new token is a
    new subject), `threshold` what was crossed ("7d:<expiry date>", or "invalid").
    """

    subject = models.CharField(max_length=128)
    code = models.CharField(max_length=32)
    threshold = models.CharField(max_length=32)
    expires_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=500)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "token warning"
        ordering = ("-sent_at",)
        constraints = [models.UniqueConstraint(fields=["subject", "code", "threshold"],
                                               name="token_warning_once")]

    def __str__(self) -> str:
        return f"{self.code} ({self.subject})"


class DataDeletionStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    COMPLETED = "completed", "Completed"


class DataDeletionRequest(models.Model):
    """A Facebook data-deletion callback. Only a hash of the Facebook user id is kept."""

    confirmation_code = models.CharField(max_length=32, unique=True)
    facebook_user_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=DataDeletionStatus.choices,
                              default=DataDeletionStatus.RECEIVED)
    requested_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Facebook data-deletion request"
        ordering = ("-requested_at",)

    def __str__(self) -> str:
        return f"Data deletion {self.confirmation_code} ({self.status})"


class SignedRequestReceipt(models.Model):
    """A processed Facebook signed_request, by (hashed user id, issued_at), whichever callback
    it came to: the same request is never acted on twice (replay), not even once at each
    callback. Rows older than the freshness window are pruned."""

    facebook_user_hash = models.CharField(max_length=64)
    issued_at = models.BigIntegerField(help_text="The request's issued_at (Unix seconds).")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "processed Facebook signed request"
        constraints = [models.UniqueConstraint(fields=["facebook_user_hash", "issued_at"],
                                               name="signed_request_once")]

    def __str__(self) -> str:
        return f"signed request issued at {self.issued_at}"
