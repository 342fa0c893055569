"""Page posts that recover: the worker's attempts, reconciliation, the stale sweep, the queue.

The service functions are what the tasks call (integrations.tasks); the Graph client is the fake.
"""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from integrations.errors import ProviderRateLimited, ProviderUnavailable, TokenInvalid
from integrations.facebook import PagePostSummary
from integrations.models import PagePost
from integrations.services import page_post_recovery, page_posts
from integrations.services.page_posts import RetryPolicy
from tests.fixtures.facebook import PAGE_TOKEN

pytestmark = pytest.mark.django_db


def queued_tasks():
    return [(t.task_path.rsplit(".", 1)[1], t.args_kwargs["args"])
            for t in DBTaskResult.objects.order_by("enqueued_at")]


def a_post(status, *, message="Hi", link="", started_ago=timedelta(seconds=30), attempts=1,
           **fields):
    return PagePost.objects.create(
        idempotency_key=f"k-{PagePost.objects.count()}", page_id="201", message=message,
        link=link, status=status, attempts=attempts,
        attempt_started_at=timezone.now() - started_ago if attempts else None,
        request_fingerprint=page_posts.request_fingerprint(message=message, link=link or None,
                                                           scheduled_at=None), **fields)


# --- retry policy ---------------------------------------------------------------------------


def test_backoff_grows_exponentially_with_jitter_and_stops_at_max_attempts():
    policy = RetryPolicy(max_attempts=5, base_s=10, max_s=60, random=lambda: 1.0)
    assert [policy.delay_s(n) for n in range(1, 6)] == [10, 20, 40, 60, None]
    low = RetryPolicy(max_attempts=5, base_s=10, max_s=60, random=lambda: 0.0)
    assert [low.delay_s(n) for n in range(1, 4)] == [5, 10, 20], "half fixed, half jitter"


def test_backoff_honours_the_time_facebook_gives_back_access():
    policy = RetryPolicy(max_attempts=5, base_s=10, max_s=60, random=lambda: 0.5)
    assert policy.delay_s(1, retry_after_s=300) == 300


def test_max_attempts_is_configurable(settings):
    settings.PAGE_POST_MAX_ATTEMPTS = 2
    assert RetryPolicy.from_settings().delay_s(2) is None
    assert RetryPolicy.from_settings().delay_s(1) is not None


# --- attempts -------------------------------------------------------------------------------


def test_retry_publishes_and_records_attempts(linked, django_capture_on_commit_callbacks):
    linked.fail["publish_to_page"] = ProviderUnavailable(provider="facebook")
    with django_capture_on_commit_callbacks(execute=True):
        post = page_posts.submit_page_post(message="Retry me", idempotency_key="r1").post
    assert post.status == "retrying" and queued_tasks() == [("attempt_page_post", [post.pk])]
    del linked.fail["publish_to_page"]
    assert page_post_recovery.attempt_page_post(post_id=post.pk) == "published"
    post.refresh_from_db()
    assert (post.status, post.attempts, post.facebook_post_id) == ("published", 2, "201_1")
    assert post.next_attempt_at is None and post.error_code == ""
    assert linked.names() == ["publish_to_page", "list_page_posts", "publish_to_page"]


def test_a_retry_finds_a_post_facebook_published_despite_the_error(linked):
    post = a_post("retrying", message="Published anyway")
    linked.page_posts.append(PagePostSummary(id="201_77", message="Published anyway", link=None,
                                             created_time=datetime.now(UTC)))
    assert page_post_recovery.attempt_page_post(post_id=post.pk) == "published"
    post.refresh_from_db()
    assert (post.status, post.facebook_post_id, post.attempts) == ("published", "201_77", 1)
    assert "publish_to_page" not in linked.names()


def test_rate_limit_retries_no_sooner_than_facebook_says(
        linked, django_capture_on_commit_callbacks):
    linked.fail["publish_to_page"] = ProviderRateLimited(provider="facebook", retry_after_s=600)
    with django_capture_on_commit_callbacks(execute=True):
        post = page_posts.submit_page_post(message="Slow down", idempotency_key="rl").post
    assert post.status == "retrying"
    assert post.next_attempt_at >= timezone.now() + timedelta(seconds=590)
    assert DBTaskResult.objects.get().run_after == post.next_attempt_at


def test_attempts_stop_at_the_maximum_and_the_post_fails(linked, settings):
    settings.PAGE_POST_MAX_ATTEMPTS = 2
    linked.fail["publish_to_page"] = ProviderUnavailable(provider="facebook")
    post = a_post("retrying")
    assert page_post_recovery.attempt_page_post(post_id=post.pk) == "failed"
    post.refresh_from_db()
    assert (post.status, post.attempts, post.error_code) == ("failed", 2, "provider_unavailable")


def test_an_attempt_runs_once_even_if_its_task_runs_twice(linked):
    post = a_post("queued", attempts=0, next_attempt_at=timezone.now())
    assert page_post_recovery.attempt_page_post(post_id=post.pk) == "published"
    assert page_post_recovery.attempt_page_post(post_id=post.pk) == "nothing to do"
    assert linked.names() == ["publish_to_page"]


def test_a_post_for_a_page_no_longer_linked_fails_without_a_call(linked):
    post = a_post("retrying")
    PagePost.objects.filter(pk=post.pk).update(page_id="999")
    assert page_post_recovery.attempt_page_post(post_id=post.pk) == "failed"
    assert linked.calls == []


# --- reconciliation -------------------------------------------------------------------------


def test_reconcile_finds_the_post_with_its_real_id(linked):
    post = a_post("unknown", message="Lost answer", link="https://example.com/a")
    linked.page_posts += [
        PagePostSummary(id="201_1", message="Lost answer", link=None,
                        created_time=datetime.now(UTC)),  # names no link: a fallback only
        PagePostSummary(id="201_2", message="Lost answer", link="https://example.com/a/",
                        created_time=datetime.now(UTC)),
    ]
    assert page_post_recovery.reconcile_page_post(post_id=post.pk) == "published"
    post.refresh_from_db()
    assert (post.status, post.facebook_post_id) == ("published", "201_2")
    assert linked.names() == ["list_page_posts"]


@pytest.mark.parametrize("shape", [
    {"link": "https://example.com/a/"},  # the older answer
    {"link": None, "attachment_urls": ("https://example.com/a",)},  # Graph without `link`
    {"link": None},  # neither: message and time decide
], ids=["link", "attachments", "message-and-time"])
def test_reconcile_matches_on_link_attachments_or_message_and_time(linked, shape):
    post = a_post("unknown", message="Release v2", link="https://example.com/a")
    linked.page_posts += [
        PagePostSummary(id="201_8", message="Release v2", link="https://example.com/other",
                        created_time=datetime.now(UTC)),
        PagePostSummary(id="201_9", message="Release v2", created_time=datetime.now(UTC),
                        **shape),
    ]
    assert page_post_recovery.reconcile_page_post(post_id=post.pk) == "published"
    post.refresh_from_db()
    assert post.facebook_post_id == "201_9"


def test_reconcile_never_takes_a_post_naming_another_link(linked, settings):
    settings.PAGE_POST_RECONCILE_WINDOW_S = 0
    post = a_post("unknown", message="Release v2", link="https://example.com/a")
    linked.page_posts.append(PagePostSummary(
        id="201_8", message="Release v2", link=None, created_time=datetime.now(UTC),
        attachment_urls=("https://example.com/other",)))
    assert page_post_recovery.reconcile_page_post(post_id=post.pk) == "failed"


def test_reconcile_ignores_posts_outside_the_window_or_owned_by_another_row(
        linked, settings, django_capture_on_commit_callbacks):
    a_post("published", message="Same words", facebook_post_id="201_5")
    post = a_post("unknown", message="Same words")
    linked.page_posts += [
        PagePostSummary(id="201_4", message="Same words", link=None,
                        created_time=datetime.now(UTC) - timedelta(hours=2)),
        PagePostSummary(id="201_5", message="Same words", link=None,
                        created_time=datetime.now(UTC)),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert page_post_recovery.reconcile_page_post(post_id=post.pk) == "not found yet"
    post.refresh_from_db()
    assert post.status == "unknown" and post.next_attempt_at is not None
    assert queued_tasks() == [("reconcile_page_post", [post.pk])]


def test_not_found_after_the_window_fails_with_the_reason_and_is_never_resent(linked, settings):
    settings.PAGE_POST_RECONCILE_WINDOW_S = 60
    post = a_post("unknown", started_ago=timedelta(minutes=5))
    assert page_post_recovery.reconcile_page_post(post_id=post.pk) == "failed"
    post.refresh_from_db()
    assert post.error_code == "not_published"
    assert "did not publish" in post.error_message and "new Idempotency-Key" in post.error_message
    assert "publish_to_page" not in linked.names()


def test_reconcile_read_failure_retries_later_or_fails_when_it_cannot_help(
        linked, django_capture_on_commit_callbacks):
    post = a_post("unknown")
    linked.fail["list_page_posts"] = ProviderUnavailable(provider="facebook")
    with django_capture_on_commit_callbacks(execute=True):
        assert page_post_recovery.reconcile_page_post(post_id=post.pk) == "read failed, will retry"
    assert queued_tasks() == [("reconcile_page_post", [post.pk])]
    linked.fail["list_page_posts"] = TokenInvalid(provider="facebook")
    assert page_post_recovery.reconcile_page_post(post_id=post.pk) == "failed"
    post.refresh_from_db()
    assert post.error_code == "token_invalid"


# --- stale rows -----------------------------------------------------------------------------


def test_sweep_hands_stale_pending_posts_to_reconciliation(linked, settings,
                                                           django_capture_on_commit_callbacks):
    settings.PAGE_POST_STALE_AFTER_S = 60
    stale = a_post("pending", started_ago=timedelta(minutes=5))
    fresh = a_post("pending", started_ago=timedelta(seconds=5))
    lost = a_post("retrying", next_attempt_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        out = StringIO()
        call_command("sweep", stdout=out)
    assert "stale_posts: 2" in out.getvalue()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == ("unknown", "pending")
    assert sorted(queued_tasks()) == [("attempt_page_post", [lost.pk]),
                                      ("reconcile_page_post", [stale.pk])]


def test_sweep_purges_expired_flows_and_old_task_results(settings):
    from integrations.models import OAuthFlow

    OAuthFlow.objects.create(state_hash="a" * 64, purpose="github_login", client="browser",
                             binding_hash="b" * 64, redirect_uri="https://x",
                             expires_at=timezone.now() - timedelta(days=1))
    old = DBTaskResult.objects.create(task_path="integrations.tasks.sweep", args_kwargs={
        "args": [], "kwargs": {}}, status="SUCCESSFUL", backend_name="default",
        run_after=timezone.now(), finished_at=timezone.now() - timedelta(days=30))
    out = StringIO()
    call_command("sweep", stdout=out)
    assert "expired_flows: 1" in out.getvalue() and "task_results: 1" in out.getvalue()
    assert not OAuthFlow.objects.exists()
    assert not DBTaskResult.objects.filter(pk=old.pk).exists()


# --- queueing from code and the command line ------------------------------------------------


def test_enqueue_page_post_returns_at_once_and_the_worker_posts(
        linked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post = page_posts.enqueue_page_post(message="From the monitor",
                                            link="https://example.com/e",
                                            idempotency_key="event-1")
    assert post.status == "queued" and linked.calls == []
    assert queued_tasks() == [("attempt_page_post", [post.pk])]
    again = page_posts.enqueue_page_post(message="From the monitor", link="https://example.com/e",
                                         idempotency_key="event-1")
    assert again.pk == post.pk and len(queued_tasks()) == 1
    assert page_post_recovery.attempt_page_post(post_id=post.pk) == "published"
    assert linked.calls == [("publish_to_page", "201", f"{PAGE_TOKEN}-201", "From the monitor",
                             "https://example.com/e", None)]


def test_post_to_page_queue_option(linked, django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("post_to_page", "Queued from cron", "--queue", stdout=out)
    row = PagePost.objects.get()
    assert (row.status, row.source) == ("queued", "command")
    assert f"Post #{row.pk} queued" in out.getvalue()
    assert queued_tasks() == [("attempt_page_post", [row.pk])]
    assert linked.calls == []


def test_admin_shows_the_task_queue_and_each_posts_attempts(client, linked,
                                                            django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", password="x" * 12))
    linked.fail["publish_to_page"] = ProviderUnavailable(provider="facebook")
    with django_capture_on_commit_callbacks(execute=True):
        post = page_posts.submit_page_post(message="Shown in the admin").post
    queue = client.get("/admin/django_tasks_database/dbtaskresult/").content.decode()
    assert "attempt_page_post" in queue
    listing = client.get("/admin/integrations/pagepost/").content.decode()
    assert "Retrying" in listing
    detail = client.get(f"/admin/integrations/pagepost/{post.pk}/change/").content.decode()
    assert "Attempts" in detail and "Next attempt at" in detail


def test_a_post_another_worker_settled_meanwhile_is_left_as_it_is(linked):
    post = a_post("unknown")
    stale_copy = PagePost.objects.get(pk=post.pk)
    PagePost.objects.filter(pk=post.pk).update(status="published", facebook_post_id="201_9")
    assert page_posts.finish(stale_copy, status="failed", error_code="not_published") is False
    post.refresh_from_db()
    assert (post.status, post.facebook_post_id) == ("published", "201_9")
    assert stale_copy.status == "published", "the copy is refreshed"
