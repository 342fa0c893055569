"""Posts to the linked Facebook Page, as whole flows: check, record, send once, recover.

The API view, the `post_to_page` command and other Django code (the event monitor) call these;
the worker's side (later attempts, reconciliation, stale rows) is in `page_post_recovery`.
Every post is a `PagePost` row whose unique idempotency key makes a replay answer the first post
instead of publishing twice. Before each Graph call the row is claimed with a conditional
UPDATE, so two workers (or a worker and a request) never send the same post twice.

Failures: a transient one (5xx, codes 1/2, rate limits) is retried with backoff; an unknown
outcome (a timeout, or a process that died mid-call) is reconciled by reading the Page's posts;
anything else fails the post with the reason.

Just over our ~300-line rule: the request side of one flow (input checks, idempotency, the
claimed send and its recorded outcome), kept together so the exactly-once argument reads in one
place; the worker side already lives in `page_post_recovery`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from integrations import metrics, task_queue
from integrations.config import get_facebook_client
from integrations.errors import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    IntegrationError,
    NotLinked,
    PostInvalid,
)
from integrations.models import PagePost, PagePostSource, PagePostStatus
from integrations.services import instagram
from integrations.services.facebook.page_link import read_page_link
from integrations.services.media import get_image, image_url

logger = logging.getLogger(__name__)

MESSAGE_MAX_CHARS = 63206  # Facebook's limit for a Page post's text
LINK_MAX_CHARS = 2000
SCHEDULE_MIN = timedelta(minutes=10)  # Facebook: scheduled_publish_time 10 minutes …
SCHEDULE_MAX = timedelta(days=30)  # … to 30 days after the request
# Facebook's clock and ours may differ a little: widen the window a reconciled post must fall in.
CLOCK_SKEW = timedelta(seconds=60)
UNKNOWN_OUTCOME_MESSAGE = ("Facebook did not answer in time, so the post may have been "
                           "published: checking the Page before anything else is done.")
NOT_PUBLISHED_MESSAGE = ("Facebook did not publish this post (it was not on the Page by "
                         "{checked}); post it again with a new Idempotency-Key.")
CLAIMABLE = (PagePostStatus.QUEUED, PagePostStatus.RETRYING)
DEFAULT_TARGETS = ("facebook",)
TARGETS = ("facebook", "instagram")


@dataclass(frozen=True)
class PostOutcome:
    post: PagePost
    replayed: bool


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for transient Graph failures (`transient` errors)."""

    max_attempts: int
    base_s: float
    max_s: float
    random: Callable[[], float] = random.random  # test seam

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(max_attempts=settings.PAGE_POST_MAX_ATTEMPTS,
                   base_s=settings.PAGE_POST_RETRY_BASE_S, max_s=settings.PAGE_POST_RETRY_MAX_S)

    def delay_s(self, attempts: int, retry_after_s: int | None = None) -> float | None:
        """Seconds before attempt `attempts + 1`, or None once `max_attempts` were made. Half
        the exponential step is fixed, half random; never sooner than the provider asked."""
        if attempts >= self.max_attempts:
            return None
        step = min(self.max_s, self.base_s * 2 ** max(0, attempts - 1))
        return max(step / 2 + self.random() * step / 2, float(retry_after_s or 0))


# --- Input ----------------------------------------------------------------------------------


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


def request_fingerprint(*, message: str, link: str | None, scheduled_at: datetime | None,
                        image_id: int | None = None, targets: tuple[str, ...] = DEFAULT_TARGETS
                        ) -> str:
    when = scheduled_at.astimezone(UTC).isoformat() if scheduled_at else ""
    parts: list = [message, link or "", when]
    if image_id is not None or targets != DEFAULT_TARGETS:  # text posts keep theirs
        parts += [image_id, sorted(targets)]
    body = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def page_post_history():
    """Every recorded post, newest first, with who made it (for the history endpoint)."""
    return (PagePost.objects.select_related("created_by__github_account", "image")
            .prefetch_related("extra_targets").order_by("-created_at", "-id"))


# --- Submitting -----------------------------------------------------------------------------


def submit_page_post(*, message: str, link: str | None = None,
                     scheduled_at: datetime | None = None, idempotency_key: str | None = None,
                     created_by=None, source: str = PagePostSource.SERVICE,
                     image: int | None = None, targets=DEFAULT_TARGETS) -> PostOutcome:
    """Post to the linked Page now, at most once per idempotency key.

    The row with the unique key is committed, already claimed, before the Graph call, so of two
    racing requests exactly one publishes; the other is told at once that it is in progress.
    A transient failure or an unknown outcome leaves the post `retrying` / `unknown` for the
    worker; any other provider error is recorded on the row, then raised.
    """
    key, fingerprint, existing, media = _prepare(
        message=message, link=link, scheduled_at=scheduled_at, idempotency_key=idempotency_key,
        image=image, targets=targets)
    if existing is not None:
        return PostOutcome(_replay(existing, fingerprint), replayed=True)
    page_link = _page_link()
    targets, refusal = _checked_targets(targets, message=message, link=link, image=media,
                                        scheduled_at=scheduled_at, page_link=page_link)
    now = timezone.now()
    try:
        with transaction.atomic():
            post = PagePost.objects.create(
                idempotency_key=key, request_fingerprint=fingerprint, page_id=page_link.page_id,
                message=message, link=link or "", scheduled_at=scheduled_at, image=media,
                created_by=created_by, source=source, status=PagePostStatus.PENDING,
                attempts=1, attempt_started_at=now,
            )
            _add_targets(post, targets, page_link, refusal)
    except IntegrityError:
        existing = PagePost.objects.get(idempotency_key=key)
        return PostOutcome(_replay(existing, fingerprint), replayed=True)
    error = send_claimed(post, page_token=page_link.page_token)
    if error is not None:
        raise error
    return PostOutcome(post, replayed=False)


def publish_page_post(*, message: str, link: str | None = None,
                      scheduled_at: datetime | None = None, idempotency_key: str | None = None,
                      created_by=None, source: str = PagePostSource.SERVICE,
                      image: int | None = None, targets=DEFAULT_TARGETS) -> PagePost:
    """Post to the linked Page now and wait for Facebook's answer; see submit_page_post."""
    return submit_page_post(message=message, link=link, scheduled_at=scheduled_at,
                            idempotency_key=idempotency_key, created_by=created_by,
                            source=source, image=image, targets=targets).post


def enqueue_page_post(*, message: str, link: str | None = None,
                      scheduled_at: datetime | None = None, idempotency_key: str | None = None,
                      created_by=None, source: str = PagePostSource.SERVICE,
                      image: int | None = None, targets=DEFAULT_TARGETS,
                      record_refusals: bool = False) -> PagePost:
    """Record the post as `queued` and return at once; the worker publishes it (for the event
    monitor and other code that must not wait on Facebook). Same key, same post.
    `record_refusals`: see _checked_targets."""
    key, fingerprint, existing, media = _prepare(
        message=message, link=link, scheduled_at=scheduled_at, idempotency_key=idempotency_key,
        image=image, targets=targets)
    if existing is not None:
        return _replay(existing, fingerprint, in_flight_ok=True)
    page_link = _page_link()
    targets, refusal = _checked_targets(targets, message=message, link=link, image=media,
                                        scheduled_at=scheduled_at, page_link=page_link,
                                        record_refusals=record_refusals)
    try:
        with transaction.atomic():
            post = PagePost.objects.create(
                idempotency_key=key, request_fingerprint=fingerprint, page_id=page_link.page_id,
                message=message, link=link or "", scheduled_at=scheduled_at, image=media,
                created_by=created_by, source=source, status=PagePostStatus.QUEUED,
                next_attempt_at=timezone.now(),
            )
            _add_targets(post, targets, page_link, refusal)
            enqueue_attempt(post.pk)
    except IntegrityError:
        return _replay(PagePost.objects.get(idempotency_key=key), fingerprint, in_flight_ok=True)
    logger.info("page post %s (%s) queued by user %s", post.pk, source, post.created_by_id)
    return post


def _checked_targets(targets, *, message, link, image, scheduled_at, page_link,
                     record_refusals: bool = False
                     ) -> tuple[tuple[str, ...], IntegrationError | None]:
    """The targets, known and each once; Facebook always (the post's own row); Instagram's
    rules checked now, before anything is recorded. With `record_refusals` (code posting
    without a person to answer: automations) Instagram's refusal is returned beside them, to be
    kept as the error of a failed target, instead of refusing the Facebook post too."""
    targets = tuple(dict.fromkeys(targets or DEFAULT_TARGETS))
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or "facebook" not in targets:
        raise PostInvalid("Choose from facebook and instagram; facebook is always included.",
                          field="targets")
    if "instagram" in targets:
        caption = f"{message}\n\n{link}" if link else message
        try:
            instagram.check_instagram_post(caption=caption, image=image,
                                           scheduled_at=scheduled_at, page_link=page_link)
        except IntegrationError as exc:
            if not record_refusals:
                raise
            return targets, exc
    return targets, None


def _add_targets(post: PagePost, targets: tuple[str, ...], page_link,
                 refusal: IntegrationError | None) -> None:
    if "instagram" not in targets:
        return
    if refusal is not None:
        instagram.add_refused_target(post, ig_user_id=page_link.instagram_user_id or "",
                                     refusal=refusal)
    else:
        instagram.add_instagram_target(post, ig_user_id=page_link.instagram_user_id)


def _prepare(*, message, link, scheduled_at, idempotency_key, image=None,
             targets=DEFAULT_TARGETS):
    errors = post_input_errors(message=message, link=link, scheduled_at=scheduled_at)
    if errors:
        field, problem = next(iter(errors.items()))
        raise PostInvalid(problem, field=field)
    key = idempotency_key or f"auto-{uuid.uuid4().hex}"
    fingerprint = request_fingerprint(message=message, link=link, scheduled_at=scheduled_at,
                                      image_id=image, targets=tuple(targets or DEFAULT_TARGETS))
    existing = PagePost.objects.filter(idempotency_key=key).first()
    media = get_image(image) if image is not None and existing is None else None
    return key, fingerprint, existing, media


def _page_link():
    page_link = read_page_link()
    if not page_link.has_page:
        raise NotLinked("No Facebook Page is linked: link one first." if not page_link.is_linked
                        else "Choose the Facebook Page to post to first.", provider="facebook")
    return page_link


def _replay(post: PagePost, fingerprint: str, *, in_flight_ok: bool = False) -> PagePost:
    """A replay: same body or refuse. A Graph call in flight is answered at once (409 with
    Retry-After; or the post itself when `in_flight_ok`: a queued replay has nothing to wait
    for), never waited for; one left behind by a dead process goes to reconciliation."""
    if not constant_time_compare(post.request_fingerprint, fingerprint):
        raise IdempotencyKeyReused(provider="facebook")
    if post.status != PagePostStatus.PENDING or in_flight_ok:
        return post
    stale_at = post.attempt_started_at + stale_after() if post.attempt_started_at else None
    now = timezone.now()
    if stale_at is None or stale_at <= now:
        hand_to_reconciliation(post.pk)
        post.refresh_from_db()
        return post
    raise IdempotencyInProgress(provider="facebook",
                                retry_after_s=min(10, math.ceil((stale_at - now).total_seconds())))


# --- Sending and recording ------------------------------------------------------------------


def send_claimed(post: PagePost, *, page_token: str) -> IntegrationError | None:
    """One Graph call for a claimed (`pending`) post; the outcome is recorded on the row.
    Returns the error that failed the post for good, if any."""
    try:
        if post.image_id is not None:
            result = get_facebook_client().publish_photo(
                post.page_id, page_token, image_url(post.image), post.caption,
                scheduled_at=post.scheduled_at)
        else:
            result = get_facebook_client().publish_to_page(
                post.page_id, page_token, post.message, link=post.link or None,
                scheduled_at=post.scheduled_at,
            )
    except IntegrationError as exc:
        return _record_failure(post, exc)
    except Exception:
        finish(post, status=PagePostStatus.FAILED, error_code="server_error",
               error_message="Something went wrong on our side.")
        raise
    status = PagePostStatus.SCHEDULED if result.scheduled or post.scheduled_at \
        else PagePostStatus.PUBLISHED
    finish(post, status=status, facebook_post_id=str(result.id),
           facebook_photo_id=result.photo_id or "")
    return None


def _record_failure(post: PagePost, exc: IntegrationError) -> IntegrationError | None:
    now = timezone.now()
    if exc.outcome_unknown:
        # Facebook may have published it: never send again before reading the Page.
        if record(post, status=PagePostStatus.UNKNOWN, error_code=exc.code,
                  error_message=UNKNOWN_OUTCOME_MESSAGE, attempt_ended_at=now,
                  next_attempt_at=now + reconcile_delay()):
            enqueue_reconcile(post.pk, run_after=post.next_attempt_at)
        return None
    delay_s = RetryPolicy.from_settings().delay_s(post.attempts, exc.retry_after_s) \
        if exc.transient else None
    if delay_s is not None:
        if record(post, status=PagePostStatus.RETRYING, error_code=exc.code,
                  error_message=exc.message, attempt_ended_at=now,
                  next_attempt_at=now + timedelta(seconds=delay_s)):
            enqueue_attempt(post.pk, run_after=post.next_attempt_at)
        return None
    finish(post, status=PagePostStatus.FAILED, error_code=exc.code, error_message=exc.message)
    return exc


def record(post: PagePost, **values) -> bool:
    """Save these fields if the row still has the status this copy was read with, and log the
    step. False (and the copy refreshed) when another worker changed it meanwhile."""
    if "error_message" in values:
        values["error_message"] = values["error_message"][:1000]
    if not PagePost.objects.filter(pk=post.pk, status=post.status).update(**values):
        post.refresh_from_db()
        logger.info("page post %s changed meanwhile (now %s): left as it is", post.pk,
                    post.status)
        return False
    for name, value in values.items():
        setattr(post, name, value)
    if "status" in values:
        metrics.PAGE_POSTS.labels(outcome=post.status).inc()
    logger.info("page post %s (%s) by user %s, attempt %s: %s %s", post.pk, post.source,
                post.created_by_id, post.attempts, post.status, post.error_code,
                extra={"event": "page_post", "reason": post.error_code or post.status})
    return True


def finish(post: PagePost, *, status: str, facebook_post_id: str = "", error_code: str = "",
           error_message: str = "", **values) -> bool:
    """Settle the post for good: published, scheduled or failed (see `record`)."""
    now = timezone.now()
    return record(post, status=status, facebook_post_id=facebook_post_id, error_code=error_code,
                  error_message=error_message, completed_at=now, next_attempt_at=None,
                  attempt_ended_at=post.attempt_ended_at or now, **values)


def hand_to_reconciliation(post_id: int) -> bool:
    """A `pending` post whose process died: mark it `unknown` and queue a reconcile."""
    now = timezone.now()
    changed = PagePost.objects.filter(pk=post_id, status=PagePostStatus.PENDING).update(
        status=PagePostStatus.UNKNOWN, error_code="outcome_unknown",
        error_message=UNKNOWN_OUTCOME_MESSAGE, attempt_ended_at=now, next_attempt_at=now)
    if changed:
        metrics.PAGE_POSTS.labels(outcome=PagePostStatus.UNKNOWN).inc()
        logger.warning("page post %s was left pending by a failed process; reconciling", post_id,
                       extra={"event": "page_post", "reason": "outcome_unknown"})
        enqueue_reconcile(post_id, run_after=None)
    return bool(changed)


def attempt_window_end(post: PagePost) -> datetime:
    """Until when a post from the latest attempt may still show up on the Page."""
    started = post.attempt_started_at or post.created_at
    return started + timedelta(seconds=settings.PAGE_POST_RECONCILE_WINDOW_S)


def stale_after() -> timedelta:
    return timedelta(seconds=settings.PAGE_POST_STALE_AFTER_S)


def reconcile_delay() -> timedelta:
    return timedelta(seconds=settings.PAGE_POST_RECONCILE_DELAY_S)


def enqueue_attempt(post_id: int, run_after: datetime | None = None) -> None:
    task_queue.ATTEMPT_PAGE_POST.enqueue_on_commit(post_id, run_after=run_after)


def enqueue_reconcile(post_id: int, run_after: datetime | None = None) -> None:
    task_queue.RECONCILE_PAGE_POST.enqueue_on_commit(post_id, run_after=run_after)
