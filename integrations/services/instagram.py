"""Instagram as a second target of a Page post: checks at post time, then the Content
Publishing flow as a state machine run by scheduled tasks (PROVIDERS-APPS-MEDIA.md F3).

queued → (publishing limit read; full → waiting_quota, read again later) → creating → processing
(status_code polled by tasks scheduled with back-off: nothing sleeps) → publishing → published,
or failed with the reason. Each transition is a conditional UPDATE on the status this task read,
committed before the next Graph call, so two tasks never both act. media_publish is called for
a container only after a status read said FINISHED, and after an unknown outcome (a timeout, a
killed worker) the container's status decides: PUBLISHED is recorded, never published again
(Postiz #832). A failed read after publishing never fails the target; the permalink comes later.
Instagram failing never touches the Facebook post (its own row and status).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations import task_queue
from integrations.config import get_facebook_client
from integrations.errors import (
    ContentRejected,
    ImageAspectRatio,
    InstagramNotConnected,
    InstagramNotReady,
    InstagramQuotaFull,
    IntegrationError,
    PostInvalid,
)
from integrations.media.pipeline import fits_instagram
from integrations.models import PagePost, PostTarget, TargetStatus
from integrations.services.facebook.page_link import read_page_link
from integrations.services.media import image_url

logger = logging.getLogger(__name__)

CAPTION_MAX_CHARS, HASHTAGS_MAX, MENTIONS_MAX = 2200, 30, 20
PERMALINK_MAX_CHECKS = 5
QUOTA_MESSAGE = ("Instagram's 24-hour publishing limit for this account is reached: waiting "
                 "for the window to allow it (not retried before).")


# --- At post time ---------------------------------------------------------------------------


def caption_problem(caption: str) -> str | None:
    """Instagram's caption rules (F3), checked before anything is recorded."""
    if len(caption) > CAPTION_MAX_CHARS:
        return f"Instagram takes at most {CAPTION_MAX_CHARS} characters (with the link)."
    if len(re.findall(r"(?<!\w)#\w", caption)) > HASHTAGS_MAX:
        return f"Instagram takes at most {HASHTAGS_MAX} hashtags."
    if len(re.findall(r"(?<!\w)@\w", caption)) > MENTIONS_MAX:
        return f"Instagram takes at most {MENTIONS_MAX} @ mentions."
    return None


def check_instagram_post(*, caption: str, image, scheduled_at, page_link) -> None:
    """Raise the refusal naming the rule a post for Instagram breaks, if any."""
    if image is None:
        raise PostInvalid("Instagram needs an image: upload one and send its id.",
                          field="targets")
    if scheduled_at is not None:
        raise PostInvalid("Instagram posts cannot be scheduled here; post now or leave "
                          "Instagram out.", field="targets")
    if not page_link.can_publish_to_instagram:
        raise InstagramNotConnected(provider="facebook")
    problem = caption_problem(caption)
    if problem:
        raise PostInvalid(problem, field="message")
    if not fits_instagram(image.width, image.height):
        raise ImageAspectRatio(
            f"Instagram accepts 4:5 to 1.91:1; this image is {image.width}x{image.height}.")


def add_instagram_target(post: PagePost, *, ig_user_id: str) -> PostTarget:
    """Inside the transaction that records the post: the target row, and its first task once
    that commits."""
    target = PostTarget.objects.create(post=post, target="instagram", ig_user_id=ig_user_id,
                                       next_check_at=timezone.now())
    _enqueue(target.pk, None)
    return target


def add_refused_target(post: PagePost, *, ig_user_id: str, refusal: IntegrationError) -> None:
    """The Instagram target of a post made without a person to answer (an automation), when
    Instagram's rules refuse it: failed with the rule, the Facebook post going ahead."""
    PostTarget.objects.create(post=post, target="instagram", ig_user_id=ig_user_id,
                              status=TargetStatus.FAILED, error_code=refusal.code,
                              error_message=refusal.message[:1000],
                              completed_at=timezone.now())


# --- The worker's steps -----------------------------------------------------------------------


def advance_instagram_target(*, target_id: int) -> str:
    """One step of the target's state machine (the task); the step reschedules what follows."""
    target = PostTarget.objects.select_related("post__image").filter(pk=target_id).first()
    if target is None or target.status == TargetStatus.FAILED:
        return "nothing to do"
    if target.status == TargetStatus.PUBLISHED and (
            target.permalink or not target.media_id
            or target.permalink_checks >= PERMALINK_MAX_CHECKS):
        return "nothing to do"
    link = read_page_link()
    if not link.has_page or link.page_id != target.post.page_id \
            or link.instagram_user_id != target.ig_user_id:
        return _fail(target, "not_linked", "The Page or its Instagram account changed before "
                     "this post was published there.")
    step = {
        TargetStatus.QUEUED: _start, TargetStatus.WAITING_QUOTA: _start,
        TargetStatus.CREATING: _start, TargetStatus.PROCESSING: _poll,
        TargetStatus.PUBLISHING: _settle_publishing, TargetStatus.PUBLISHED: _fetch_permalink,
    }[target.status]
    return step(target, link.page_token)


def _start(target: PostTarget, token: str) -> str:
    """Read the quota, then create the container (or, with one kept from a full quota, check
    it and publish it)."""
    client = get_facebook_client()
    try:
        limit = client.get_publishing_limit(target.ig_user_id, token,
                                            since=timezone.now() - timedelta(days=1))
    except IntegrationError as exc:
        return _retry_or_fail(target, exc)
    if limit.full:
        return _wait_for_quota(target)
    if target.container_id:
        return _poll(target, token)
    if not _move(target, TargetStatus.CREATING, attempts=target.attempts + 1):
        return "claimed elsewhere"
    try:
        container_id = client.create_image_container(
            target.ig_user_id, token, image_url=image_url(target.post.image),
            caption=target.post.caption)
    except IntegrationError as exc:
        # A container is invisible until published: making another one later is harmless.
        return _retry_or_fail(target, exc)
    _move(target, TargetStatus.PROCESSING, container_id=container_id, status_checks=0,
          error_code="", error_message="", next_check_at=_after(_poll_delay_s(0)))
    _enqueue(target.pk, target.next_check_at)
    return target.status


def _poll(target: PostTarget, token: str) -> str:
    """One status read of the container: FINISHED → publish; IN_PROGRESS → read again later."""
    try:
        status = get_facebook_client().get_container_status(target.container_id, token)
    except IntegrationError as exc:
        # Read errors on a pending container are retried with a cap (Postiz #1562: 100/33
        # although the container finished seconds later).
        return _check_again(target, "status_unreadable", exc.message)
    code = status.status_code
    if code == "FINISHED":
        return _publish(target, token)
    if code == "PUBLISHED":
        return _published(target, token, media_id="")
    if code in ("ERROR", "EXPIRED"):
        return _fail(target, f"container_{code.lower()}",
                     f"Instagram could not process the image ({status.status or code}).")
    return _check_again(target, "", "")


def _publish(target: PostTarget, token: str) -> str:
    """media_publish, once: the claim (with its time) is committed before the call."""
    started = timezone.now()
    if not _move(target, TargetStatus.PUBLISHING, publish_started_at=started,
                 next_check_at=None):
        return "claimed elsewhere"
    try:
        media_id = get_facebook_client().publish_container(target.ig_user_id, token,
                                                           target.container_id)
    except InstagramQuotaFull:
        return _wait_for_quota(target)
    except InstagramNotReady:
        return _check_again(target, "", "", status=TargetStatus.PROCESSING)
    except IntegrationError as exc:
        if exc.outcome_unknown or exc.transient:
            # It may have been published: the container's status decides, never a resend.
            next_at = _after(_poll_delay_s(0))
            _update(target, error_code=exc.code, error_message=exc.message,
                    next_check_at=next_at)
            _enqueue(target.pk, next_at)
            return "outcome unknown: checking the container"
        return _fail(target, exc.code, exc.message)
    return _published(target, token, media_id=media_id)


def _settle_publishing(target: PostTarget, token: str) -> str:
    """A target left `publishing` (an unknown outcome, a killed worker): ask the container."""
    try:
        status = get_facebook_client().get_container_status(target.container_id, token)
    except IntegrationError as exc:
        return _check_again(target, "status_unreadable", exc.message,
                            status=TargetStatus.PUBLISHING)
    if status.status_code == "PUBLISHED":
        return _published(target, token, media_id="")
    if status.status_code in ("ERROR", "EXPIRED"):
        return _fail(target, f"container_{status.status_code.lower()}",
                     f"Instagram could not process the image ({status.status or 'expired'}).")
    # FINISHED: not published (a publish would have made it PUBLISHED); IN_PROGRESS: not yet.
    if not _move(target, TargetStatus.PROCESSING, next_check_at=timezone.now()):
        return "claimed elsewhere"
    return _poll(target, token)


def _published(target: PostTarget, token: str, *, media_id: str) -> str:
    """Record the outcome in its own commit before anything else can fail (Postiz #1681)."""
    if not _move(target, TargetStatus.PUBLISHED, media_id=media_id, error_code="",
                 error_message="", completed_at=timezone.now(), next_check_at=None):
        return "settled elsewhere"
    logger.info("instagram target %s of post %s published (%s)", target.pk, target.post_id,
                media_id or "media id unknown", extra={"event": "instagram_publish",
                                                       "reason": "published"})
    if media_id:
        return _fetch_permalink(target, token)
    return target.status


def _fetch_permalink(target: PostTarget, token: str) -> str:
    """Best effort: a failed read leaves the post published and tries again later."""
    try:
        permalink = get_facebook_client().get_media_permalink(target.media_id, token)
    except IntegrationError:
        permalink = None
    if permalink:
        PostTarget.objects.filter(pk=target.pk).update(permalink=permalink[:500])
        target.permalink = permalink
        return target.status
    checks = target.permalink_checks + 1
    PostTarget.objects.filter(pk=target.pk).update(permalink_checks=checks)
    target.permalink_checks = checks
    if checks < PERMALINK_MAX_CHECKS:
        _enqueue(target.pk, _after(_poll_delay_s(checks)))
    return target.status


# --- Recording and scheduling ---------------------------------------------------------------


def _move(target: PostTarget, status: str, **values) -> bool:
    """The transition `target.status` → `status`, if no one moved it meanwhile."""
    if "error_message" in values:
        values["error_message"] = values["error_message"][:1000]
    values["updated_at"] = timezone.now()
    changed = PostTarget.objects.filter(pk=target.pk, status=target.status).update(
        status=status, **values)
    if not changed:
        target.refresh_from_db()
        return False
    target.status = status
    for name, value in values.items():
        setattr(target, name, value)
    return True


def _update(target: PostTarget, **values) -> bool:
    return _move(target, target.status, **values)


def _fail(target: PostTarget, code: str, message: str) -> str:
    _move(target, TargetStatus.FAILED, error_code=code, error_message=message,
          completed_at=timezone.now(), next_check_at=None)
    logger.info("instagram target %s of post %s failed: %s", target.pk, target.post_id, code,
                extra={"event": "instagram_publish", "reason": code})
    return target.status


def _wait_for_quota(target: PostTarget) -> str:
    next_at = _after(settings.INSTAGRAM_QUOTA_RETRY_S)
    _move(target, TargetStatus.WAITING_QUOTA, error_code=InstagramQuotaFull.code,
          error_message=QUOTA_MESSAGE, next_check_at=next_at)
    _enqueue(target.pk, next_at)
    return target.status


def _check_again(target: PostTarget, code: str, message: str, *,
                 status: str = TargetStatus.PROCESSING) -> str:
    """Read the container again after a back-off, up to INSTAGRAM_MAX_STATUS_CHECKS reads."""
    checks = target.status_checks + 1
    if checks >= settings.INSTAGRAM_MAX_STATUS_CHECKS:
        if target.status == TargetStatus.PUBLISHING:
            # Never failed on a read alone after media_publish: it may well be live.
            _update(target, error_code="outcome_unknown", error_message=(
                "Instagram did not say whether the post was published; check the account "
                "before posting again."), next_check_at=None)
            return target.status
        return _fail(target, code or "container_timeout",
                     message or "Instagram was still processing the image after many checks.")
    next_at = _after(_poll_delay_s(checks))
    _move(target, status, status_checks=checks, next_check_at=next_at,
          **({"error_code": code, "error_message": message} if code else {}))
    _enqueue(target.pk, next_at)
    return target.status


def _retry_or_fail(target: PostTarget, exc: IntegrationError) -> str:
    """Before any container exists: retry transient failures (a few times), fail the rest."""
    if isinstance(exc, ContentRejected) or not (exc.transient or exc.outcome_unknown) \
            or target.attempts >= settings.INSTAGRAM_MAX_ATTEMPTS:
        return _fail(target, exc.code, exc.message)
    next_at = _after(exc.retry_after_s or _poll_delay_s(target.attempts + 1))
    _move(target, TargetStatus.QUEUED, error_code=exc.code, error_message=exc.message,
          next_check_at=next_at)
    _enqueue(target.pk, next_at)
    return target.status


def _poll_delay_s(checks: int) -> float:
    return min(settings.INSTAGRAM_POLL_MAX_S, settings.INSTAGRAM_POLL_BASE_S * 2 ** checks)


def _after(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def sweep_stale_instagram_targets() -> int:
    """Re-queue targets whose task was lost (a worker killed mid-step): a stale `creating`
    or `publishing`, or a check long overdue. Safe twice: every step claims its row."""
    cutoff = timezone.now() - timedelta(seconds=settings.PAGE_POST_STALE_AFTER_S)
    busy = PostTarget.objects.filter(status__in=(TargetStatus.CREATING, TargetStatus.PUBLISHING),
                                     updated_at__lt=cutoff, next_check_at__isnull=True)
    overdue = PostTarget.objects.exclude(status__in=(TargetStatus.PUBLISHED,
                                                     TargetStatus.FAILED)) \
        .filter(next_check_at__lt=cutoff)
    ids = set(busy.values_list("pk", flat=True)) | set(overdue.values_list("pk", flat=True))
    # The create call's outcome is unknown: another container is harmless.
    PostTarget.objects.filter(pk__in=ids, status=TargetStatus.CREATING).update(
        status=TargetStatus.QUEUED, updated_at=timezone.now())
    for target_id in ids:
        _enqueue(target_id, None)
    return len(ids)


def _enqueue(target_id: int, run_after) -> None:
    task_queue.ADVANCE_INSTAGRAM_TARGET.enqueue_on_commit(target_id, run_after=run_after)
