"""Posts to the linked Facebook Page, as whole flows: check, record, send once, record the result.

The API view, the `post_to_page` command and other Django code (the event monitor) call these.
Every attempt is a `PagePost` row; the unique idempotency key on it is what makes a retry answer
the first result instead of publishing twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations import metrics
from integrations.config import get_facebook_client
from integrations.errors import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    IntegrationError,
    NotLinked,
    PostInvalid,
    ProviderTimeout,
)
from integrations.models import PagePost, PagePostSource, PagePostStatus
from integrations.services.facebook.page_link import read_page_link

logger = logging.getLogger(__name__)

MESSAGE_MAX_CHARS = 63206  # Facebook's limit for a Page post's text
LINK_MAX_CHARS = 2000
SCHEDULE_MIN = timedelta(minutes=10)  # Facebook: scheduled_publish_time 10 minutes …
SCHEDULE_MAX = timedelta(days=30)  # … to 30 days after the request
# How long a retry waits for the request that holds the same Idempotency-Key (its Graph call
# may take a connect + read timeout).
IDEMPOTENCY_WAIT_S = 15.0
# A post still pending after this was abandoned (the process died during the Graph call).
ORPHANED_AFTER = timedelta(minutes=5)
UNKNOWN_OUTCOME_MESSAGE = ("Facebook did not answer in time, so the post may have been "
                           "published: check the Page before posting it again.")


@dataclass(frozen=True)
class PostOutcome:
    post: PagePost
    replayed: bool


def post_input_errors(*, message, link=None, scheduled_at=None, now=None) -> dict[str, str]:
    """Local checks before anything is recorded or sent: {field: problem}, empty when fine."""
    errors = {}
    if not isinstance(message, str) or not message.strip():
        errors["message"] = "Write a message."
    elif len(message) > MESSAGE_MAX_CHARS:
        errors["message"] = f"At most {MESSAGE_MAX_CHARS} characters (Facebook's limit)."
    if link and not _is_web_link(link):
        errors["link"] = f"An http or https URL of at most {LINK_MAX_CHARS} characters."
    if scheduled_at is not None:
        now = now or timezone.now()
        if timezone.is_naive(scheduled_at):
            errors["scheduled_at"] = "Give a time zone (e.g. 2026-12-01T10:00:00Z)."
        elif not now + SCHEDULE_MIN <= scheduled_at <= now + SCHEDULE_MAX:
            errors["scheduled_at"] = "Schedule between 10 minutes and 30 days from now."
    return errors


def _is_web_link(link) -> bool:
    if not isinstance(link, str) or len(link) > LINK_MAX_CHARS:
        return False
    try:
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError:
        return False
    return True


def request_fingerprint(*, message: str, link: str | None, scheduled_at: datetime | None) -> str:
    when = scheduled_at.astimezone(UTC).isoformat() if scheduled_at else ""
    body = json.dumps([message, link or "", when], ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def _await_result(post: PagePost, fingerprint: str, *,
                  sleep: Callable[[float], None] = time.sleep) -> PagePost:
    """A retry: same body or refuse; wait briefly while the first request is still sending.

    `sleep` is the wait between polls (a collaborator, like DRF's throttle `timer`)."""
    if not secrets.compare_digest(post.request_fingerprint, fingerprint):
        raise IdempotencyKeyReused(provider="facebook")
    deadline = time.monotonic() + IDEMPOTENCY_WAIT_S
    while post.status == PagePostStatus.PENDING:
        if _orphaned(post):
            return _close_orphan(post)
        if time.monotonic() >= deadline:
            raise IdempotencyInProgress(provider="facebook")
        sleep(0.1)
        post.refresh_from_db()
    return post


def page_post_history():
    """Every recorded attempt, newest first, with who made it (for the history endpoint)."""
    return (PagePost.objects.select_related("created_by__github_account")
            .order_by("-created_at", "-id"))


def _orphaned(post: PagePost) -> bool:
    """Pending far longer than any Graph call can take: its process died mid-publish."""
    return post.created_at < timezone.now() - ORPHANED_AFTER


def _close_orphan(post: PagePost) -> PagePost:
    closed = PagePost.objects.filter(pk=post.pk, status=PagePostStatus.PENDING).update(
        status=PagePostStatus.FAILED, error_code="outcome_unknown", completed_at=timezone.now(),
        error_message=UNKNOWN_OUTCOME_MESSAGE)
    if closed:
        metrics.PAGE_POSTS.labels(outcome=PagePostStatus.FAILED).inc()
        logger.warning("page post %s was left pending by a failed process; marked failed", post.pk,
                       extra={"event": "page_post", "reason": "outcome_unknown"})
    post.refresh_from_db()
    return post


def submit_page_post(*, message: str, link: str | None = None,
                     scheduled_at: datetime | None = None, idempotency_key: str | None = None,
                     created_by=None, source: str = PagePostSource.SERVICE,
                     sleep: Callable[[float], None] = time.sleep) -> PostOutcome:
    """Post to the linked Page at most once per idempotency key; every attempt is recorded.

    The row with the unique key is committed before the Graph call, so of two racing requests
    exactly one publishes; the other waits for its result and answers with the same post.
    Provider errors are recorded on the row, then raised. `sleep` waits between polls of a
    pending first request.
    """
    errors = post_input_errors(message=message, link=link, scheduled_at=scheduled_at)
    if errors:
        field, problem = next(iter(errors.items()))
        raise PostInvalid(problem, field=field)
    key = idempotency_key or f"auto-{uuid.uuid4().hex}"
    fingerprint = request_fingerprint(message=message, link=link, scheduled_at=scheduled_at)
    existing = PagePost.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return PostOutcome(_await_result(existing, fingerprint, sleep=sleep), replayed=True)
    page_link = read_page_link()
    if not page_link.has_page:
        raise NotLinked("No Facebook Page is linked: link one first." if not page_link.is_linked
                        else "Choose the Facebook Page to post to first.", provider="facebook")
    try:
        with transaction.atomic():
            post = PagePost.objects.create(
                idempotency_key=key, request_fingerprint=fingerprint, page_id=page_link.page_id,
                message=message, link=link or "", scheduled_at=scheduled_at,
                created_by=created_by, source=source,
            )
    except IntegrityError:
        existing = PagePost.objects.get(idempotency_key=key)
        return PostOutcome(_await_result(existing, fingerprint, sleep=sleep), replayed=True)
    _send(post, page_token=page_link.page_token)
    return PostOutcome(post, replayed=False)


def publish_page_post(*, message: str, link: str | None = None,
                      scheduled_at: datetime | None = None, idempotency_key: str | None = None,
                      created_by=None, source: str = PagePostSource.SERVICE) -> PagePost:
    """Post to the linked Page (for the event monitor and other Django code); see submit."""
    return submit_page_post(message=message, link=link, scheduled_at=scheduled_at,
                            idempotency_key=idempotency_key, created_by=created_by,
                            source=source).post


def _send(post: PagePost, *, page_token: str) -> None:
    # Never retried: Facebook would publish the post twice.
    try:
        result = get_facebook_client().publish_to_page(
            post.page_id, page_token, post.message, link=post.link or None,
            scheduled_at=post.scheduled_at,
        )
    except ProviderTimeout as exc:
        # The post may well have been published: never suggest simply trying again.
        _finish(post, status=PagePostStatus.FAILED, error_code=exc.code,
                error_message=UNKNOWN_OUTCOME_MESSAGE)
        raise ProviderTimeout(UNKNOWN_OUTCOME_MESSAGE, provider="facebook") from exc
    except IntegrationError as exc:
        _finish(post, status=PagePostStatus.FAILED, error_code=exc.code,
                error_message=exc.message)
        raise
    except Exception:
        _finish(post, status=PagePostStatus.FAILED, error_code="server_error",
                error_message="Something went wrong on our side.")
        raise
    status = PagePostStatus.SCHEDULED if result.scheduled or post.scheduled_at \
        else PagePostStatus.PUBLISHED
    _finish(post, status=status, facebook_post_id=str(result.id))


def _finish(post: PagePost, *, status: str, facebook_post_id: str = "", error_code: str = "",
            error_message: str = "") -> None:
    post.status, post.facebook_post_id = status, facebook_post_id
    post.error_code, post.error_message = error_code, error_message[:1000]
    post.completed_at = timezone.now()
    post.save(update_fields=["status", "facebook_post_id", "error_code", "error_message",
                             "completed_at"])
    metrics.PAGE_POSTS.labels(outcome=status).inc()
    logger.info("page post %s (%s) by user %s: %s %s", post.pk, post.source,
                post.created_by_id, status, error_code,
                extra={"event": "page_post", "reason": error_code or status})
