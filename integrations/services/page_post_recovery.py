"""The worker's side of Page posts: attempts after the first, reconciliation, stale rows.

`integrations.tasks` runs `attempt_page_post` and `reconcile_page_post`; `manage.py sweep` runs
`sweep_stale_page_posts`. Each claims or settles the row with a conditional UPDATE, so a task
that runs twice (or two workers) never sends a post twice. Recording and the retry policy live
in `page_posts`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from integrations import metrics
from integrations.config import get_facebook_client
from integrations.errors import IntegrationError, NotLinked
from integrations.models import PagePost, PagePostStatus
from integrations.services.facebook.page_link import read_page_link
from integrations.services.page_posts import (
    CLAIMABLE,
    CLOCK_SKEW,
    NOT_PUBLISHED_MESSAGE,
    RetryPolicy,
    attempt_window_end,
    enqueue_attempt,
    enqueue_reconcile,
    finish,
    hand_to_reconciliation,
    reconcile_delay,
    record,
    send_claimed,
    stale_after,
)

logger = logging.getLogger(__name__)


def attempt_page_post(*, post_id: int) -> str:
    """Send a `queued` or `retrying` post (the worker's task). After an earlier attempt the Page
    is read first: a post Facebook published despite an error is recorded, never sent again."""
    post = PagePost.objects.filter(pk=post_id, status__in=CLAIMABLE).first()
    if post is None:
        return "nothing to do"
    page_link = read_page_link()
    if not page_link.has_page or page_link.page_id != post.page_id:
        return _fail_unlinked(post)
    if post.attempts:
        try:
            found = _find_on_page(post, page_token=page_link.page_token)
        except IntegrationError as exc:
            return _look_failed(post, exc, retry=enqueue_attempt)
        if found is not None:
            return _record_found(post, found, expected=post.status)
    claimed = PagePost.objects.filter(pk=post.pk, status=post.status).update(
        status=PagePostStatus.PENDING, attempts=post.attempts + 1,
        attempt_started_at=timezone.now(), attempt_ended_at=None, next_attempt_at=None)
    if not claimed:
        return "claimed elsewhere"
    post.refresh_from_db()
    send_claimed(post, page_token=page_link.page_token)
    return post.status


def reconcile_page_post(*, post_id: int) -> str:
    """Settle an `unknown` post by reading the Page: found → published with Facebook's id; not
    found once the window has passed → failed (never re-sent: see README)."""
    post = PagePost.objects.filter(pk=post_id, status=PagePostStatus.UNKNOWN).first()
    if post is None:
        return "nothing to do"
    page_link = read_page_link()
    if not page_link.has_page or page_link.page_id != post.page_id:
        return _fail_unlinked(post)
    try:
        found = _find_on_page(post, page_token=page_link.page_token)
    except IntegrationError as exc:
        return _look_failed(post, exc, retry=enqueue_reconcile)
    if found is not None:
        return _record_found(post, found, expected=PagePostStatus.UNKNOWN)
    now = timezone.now()
    window_end = attempt_window_end(post)
    if now < window_end:
        next_at = min(now + reconcile_delay(), window_end)
        if record(post, next_attempt_at=next_at):
            enqueue_reconcile(post.pk, run_after=next_at)
        return "not found yet"
    checked = timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S %Z")
    finish(post, status=PagePostStatus.FAILED, error_code="not_published",
           error_message=NOT_PUBLISHED_MESSAGE.format(checked=checked))
    return post.status


def sweep_stale_page_posts() -> int:
    """Hand `pending` posts older than a Graph call can take to reconciliation, and re-queue
    posts whose task was lost (a worker killed after claiming it). Answers how many."""
    cutoff = timezone.now() - stale_after()
    count = 0
    stale = PagePost.objects.filter(status=PagePostStatus.PENDING, attempt_started_at__lt=cutoff)
    for post_id in stale.values_list("pk", flat=True):
        count += hand_to_reconciliation(post_id)
    overdue = PagePost.objects.filter(status__in=(*CLAIMABLE, PagePostStatus.UNKNOWN),
                                      next_attempt_at__lt=cutoff)
    for post_id, status in overdue.values_list("pk", "status"):
        # Safe twice: attempts claim the row, reconciles only read until they settle it.
        if status == PagePostStatus.UNKNOWN:
            enqueue_reconcile(post_id, run_after=None)
        else:
            enqueue_attempt(post_id, run_after=None)
        count += 1
    return count


def _find_on_page(post: PagePost, *, page_token: str):
    """The Page's post matching this one's message and link inside its attempt window, if any
    (ignoring posts another row already owns). A post naming our link beats one that names no
    link at all (`_link_match`)."""
    started = post.attempt_started_at or post.created_at
    since = started - CLOCK_SKEW
    posts = get_facebook_client().list_page_posts(post.page_id, page_token, since=since,
                                                  scheduled=post.scheduled_at is not None)
    owned = set(PagePost.objects.exclude(pk=post.pk).exclude(facebook_post_id="")
                .values_list("facebook_post_id", flat=True))
    end = attempt_window_end(post) + CLOCK_SKEW
    matches = {}
    for candidate in posts:
        if candidate.id in owned or (candidate.message or "") != post.message:
            continue
        created = candidate.created_time
        if created is not None and not since <= created <= end:
            continue
        if (match := _link_match(candidate.links, post.link)) is not None:
            matches.setdefault(match, candidate)
    return matches.get("link") or matches.get("message")


def _link_match(found: tuple[str, ...], sent: str | None) -> str | None:
    """How a post read back matches ours on its link: "link" (it names our link, or neither
    has one), "message" (it names none: Graph answers `link` or `attachments{unshimmed_url}`,
    both, or for some post types neither, so message and time must do), or None (another)."""
    if not found:
        return "link" if not sent else "message"
    if sent and sent.rstrip("/") in {url.rstrip("/") for url in found}:
        return "link"
    return None


def _record_found(post: PagePost, found, *, expected: str) -> str:
    status = PagePostStatus.SCHEDULED if post.scheduled_at else PagePostStatus.PUBLISHED
    settled = PagePost.objects.filter(pk=post.pk, status=expected).update(
        status=status, facebook_post_id=found.id, completed_at=timezone.now(),
        next_attempt_at=None, error_code="", error_message="")
    if settled:
        metrics.PAGE_POSTS.labels(outcome=status).inc()
        logger.info("page post %s found on the Page as %s: %s", post.pk, found.id, status,
                    extra={"event": "page_post", "reason": "reconciled"})
    return status if settled else "settled elsewhere"


def _look_failed(post: PagePost, exc: IntegrationError, *, retry) -> str:
    """Reading the Page failed: try again later if that may help, else fail the post."""
    delay_s = RetryPolicy.from_settings().delay_s(0, exc.retry_after_s) if exc.transient \
        else None
    if delay_s is None:
        finish(post, status=PagePostStatus.FAILED, error_code=exc.code, error_message=exc.message)
        return post.status
    if record(post, next_attempt_at=timezone.now() + timedelta(seconds=delay_s)):
        retry(post.pk, run_after=post.next_attempt_at)
    return "read failed, will retry"


def _fail_unlinked(post: PagePost) -> str:
    finish(post, status=PagePostStatus.FAILED, error_code=NotLinked.code,
           error_message="The Facebook Page was unlinked or changed before this post was sent.")
    return post.status
