"""Background work end to end: a real `manage.py db_worker` process, the live server (or a
server process we can SIGKILL), and the sandbox playing Facebook."""

import contextlib
import threading
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from knox.models import AuthToken

from tests.e2e import worker_tasks
from tests.e2e.test_facebook_e2e import SAM_PAGE, Browser, link
from tests.fixtures.facebook import page_manager
from tests.fixtures.worker import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
POSTS = "/api/v1/facebook/page/posts"


@pytest.fixture
def staff(live_server, settings, facebook):
    user = page_manager("staffer")
    user.email = "staff@example.com"
    user.save()
    return Browser(live_server.url, settings, user)


def latest_post(browser):
    return browser.call("GET", POSTS).json()["results"][0]


def settled(browser):
    post = latest_post(browser)
    return post if post["status"] not in ("queued", "pending", "retrying", "unknown") else None


def test_a_one_shot_5xx_is_retried_by_the_worker_and_published_once(
        staff, facebook, settings, processes):
    link(staff, facebook, user="sam")
    settings.PAGE_POST_RETRY_BASE_S = 0.2
    worker = processes("worker")
    facebook.fault("facebook.feed", "5xx", status=503)
    response = staff.post_to_page({"message": "Back in a moment"}, "5xx-1")
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "retrying"
    post = wait_for(lambda: settled(staff), what="the retry", children=(worker,))
    assert (post["status"], post["attempts"]) == ("published", 2)
    [published] = facebook.posts()
    assert published["id"] == post["facebook_post_id"] and published["page_id"] == SAM_PAGE
    assert len(facebook.requests("facebook.feed")) == 2, "the failed call and one retry"
    assert len(facebook.requests("facebook.read_posts")) == 1, "the Page is read before retrying"


@pytest.mark.parametrize("link_field", [True, False], ids=["link", "attachments-only"])
def test_a_timeout_facebook_published_anyway_is_reconciled_with_the_right_id(
        staff, facebook, settings, processes, link_field):
    link(staff, facebook, user="sam")
    facebook.config(facebook_post_link_field=link_field)  # False: Graph's answer without `link`
    settings.PROVIDER_TIMEOUT_S = (2.0, 0.5)
    settings.PAGE_POST_RECONCILE_DELAY_S = 0.5
    worker = processes("worker")
    facebook.fault("facebook.feed", "timeout", seconds=1.5)  # answers late, publishes anyway
    response = staff.post_to_page({"message": "Slow but sure", "link": "https://example.com/s"},
                                  "slow-1")
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "unknown"
    post = wait_for(lambda: settled(staff), what="reconciliation", children=(worker,))
    [published] = facebook.posts()
    assert post["status"] == "published" and post["facebook_post_id"] == published["id"]
    assert post["attempts"] == 1 and len(facebook.requests("facebook.feed")) == 1
    # Under load the first read may come before the slow feed call has published, so the
    # reconcile task reads again; what matters is that every read asks for the attachments.
    reads = facebook.requests("facebook.read_posts")
    assert reads and all("attachments{unshimmed_url}" in str(read) for read in reads)
    replay = staff.post_to_page({"message": "Slow but sure", "link": "https://example.com/s"},
                                "slow-1")
    assert replay.status_code == 200 and replay.json()["facebook_post_id"] == published["id"]


def test_a_server_killed_mid_post_is_resolved_by_the_sweep_without_a_double_post(
        staff, facebook, settings, processes):
    link(staff, facebook, user="sam")
    user = get_user_model().objects.get(username="staffer")
    headers = {"Authorization": "Token " + AuthToken.objects.create(user)[1],
               "Idempotency-Key": "killed-1"}
    settings.PAGE_POST_STALE_AFTER_S = 1.0
    settings.PAGE_POST_RECONCILE_DELAY_S = 0.5
    server, url = processes("server")
    worker = processes("worker")
    facebook.fault("facebook.feed", "timeout", seconds=2)  # the Graph call is in flight …
    body = {"message": "Posted while the server died"}

    def post_and_lose_the_answer():
        with contextlib.suppress(requests.ConnectionError):  # the server is killed under us
            requests.post(url + POSTS, json=body, headers=headers, timeout=30)

    client = threading.Thread(target=post_and_lose_the_answer)
    client.start()
    wait_for(lambda: facebook.requests("facebook.feed"), what="the Graph call",
             children=(server,))
    server.kill()  # … when the server is SIGKILLed
    client.join(30)
    assert latest_post(staff)["status"] == "pending"
    server, url = processes("server")  # restarted
    wait_for(lambda: facebook.posts(), what="the sandbox to publish")
    # Cron runs the sweep; the stale pending post goes to reconciliation.
    call_command("sweep", verbosity=0)
    post = wait_for(lambda: settled(staff), what="reconciliation", children=(worker,))
    [published] = facebook.posts()
    assert post["status"] == "published" and post["facebook_post_id"] == published["id"]
    replay = requests.post(url + POSTS, json=body, headers=headers, timeout=30)
    assert replay.status_code == 200 and replay.json()["status"] == "published"
    assert len(facebook.requests("facebook.feed")) == 1, "never posted twice"


def test_the_daily_check_runs_on_the_worker_and_warns_once(staff, facebook, settings,
                                                           processes):
    facebook.config(facebook_long_lived_ttl_s=3 * 86400)
    link(staff, facebook, user="sam")
    worker = processes("worker")
    call_command("check_tokens", "--queue", verbosity=0)
    wait_for(lambda: DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).exists(),
             what="the token check", children=(worker,))
    result = DBTaskResult.objects.get()
    assert result.return_value == ["token_expiring"]
    [warning] = staff.call("GET", "/api/v1/facebook/page").json()["warnings"]
    assert warning["code"] == "token_expiring"


def test_enqueue_page_post_is_published_by_the_worker(staff, facebook, processes):
    link(staff, facebook, user="sam")
    worker = processes("worker")
    call_command("post_to_page", "From the event monitor", "--queue",
                 "--idempotency-key", "event-7", verbosity=0)
    assert latest_post(staff)["status"] == "queued"
    post = wait_for(lambda: settled(staff), what="the queued post", children=(worker,))
    assert post["status"] == "published" and len(facebook.posts()) == 1


def test_long_lived_token_ttl_of_3_days_warns_in_the_api_and_emails_once(staff, facebook):
    facebook.config(facebook_long_lived_ttl_s=3 * 86400)
    link(staff, facebook, user="sam")
    call_command("check_tokens", verbosity=0)
    [warning] = staff.call("GET", "/api/v1/facebook/page").json()["warnings"]
    assert warning["code"] == "token_expiring" and warning["expires_at"]
    [email] = mail.outbox
    assert email.to == ["staff@example.com"] and "expires on" in email.body
    call_command("check_tokens", verbosity=0)
    assert len(mail.outbox) == 1, "a second check sends none"


def test_two_workers_run_each_task_exactly_once(tmp_path, settings, processes):
    """Claiming is SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL (an exclusive transaction on
    SQLite): however the workers race, no task runs twice."""
    runs = tmp_path / "runs.log"
    tasks = 60
    for n in range(tasks):
        worker_tasks.record_run.enqueue(str(runs), n)
    first, second = processes("worker"), processes("worker")
    wait_for(lambda: DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count()
             == tasks, what="every task", children=(first, second), timeout_s=120)
    lines = Path(runs).read_text().split()
    assert sorted(int(line.split(":")[0]) for line in lines) == list(range(tasks))
    pids = {line.split(":")[1] for line in lines}
    assert pids <= {str(first.process.pid), str(second.process.pid)}
    assert len(pids) == 2, "both workers took tasks"
    assert all(len(r.worker_ids) == 1 for r in DBTaskResult.objects.all())
