"""Posting to the Page: local validation, idempotency (also racing), recording, history."""

import threading
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from integrations.errors import (
    ContentRejected,
    IdempotencyInProgress,
    ProviderTimeout,
    ProviderUnavailable,
    TokenInvalid,
)
from integrations.models import PagePost
from integrations.services import page_posts
from tests.fixtures.facebook import (
    PAGE_TOKEN,
    assert_error,
    link,
    page,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/facebook/page/posts"


def post(client, body, key="key-1", **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(URL, body, format="json", **headers)


def later(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def test_post_publishes_and_records_the_post(staff_client, linked, staff_user):
    response = post(staff_client, {"message": "Hello", "link": "https://example.com/x"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "published"
    assert body["facebook_post_id"] == "201_1"
    assert body["link"] == "https://example.com/x"
    assert body["created_by"] == {"id": staff_user.pk, "username": "staffer",
                                  "display_name": "staffer"}
    assert linked.calls == [("publish_to_page", "201", f"{PAGE_TOKEN}-201", "Hello",
                             "https://example.com/x", None)]
    row = PagePost.objects.get()
    assert (row.status, row.idempotency_key, row.source) == ("published", "key-1", "api")


def test_scheduled_post_is_recorded_as_scheduled(staff_client, linked):
    response = post(staff_client, {"message": "Soon", "scheduled_at": later(hours=2)})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "scheduled"
    assert linked.calls[0][-1] is not None


def test_retry_with_the_same_key_returns_the_same_post_and_publishes_once(staff_client, linked):
    first = post(staff_client, {"message": "Once"})
    second = post(staff_client, {"message": "Once"})
    assert first.status_code == 201 and second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert linked.names() == ["publish_to_page"]


def test_same_key_with_another_body_is_a_422(staff_client, linked):
    post(staff_client, {"message": "Once"})
    response = post(staff_client, {"message": "Something else"})
    assert_error(response, 422, "idempotency_key_reused")
    assert linked.names() == ["publish_to_page"]


@pytest.mark.parametrize("key", [None, "", " leading", "x" * 256, "tab\there", "é"])
def test_idempotency_key_is_required_and_printable(staff_client, linked, key):
    response = post(staff_client, {"message": "Hi"}, key=key)
    body = assert_error(response, 400, "validation_error")
    assert "Idempotency-Key" in body["fields"]
    assert linked.calls == []


@pytest.mark.parametrize(("body", "field"), [
    ({"message": ""}, "message"),
    ({"message": "   "}, "message"),
    ({"message": "x" * 63207}, "message"),
    ({"message": "hi", "link": "javascript:alert(1)"}, "link"),
    ({"message": "hi", "link": "ftp://example.com/file"}, "link"),
    ({"message": "hi", "link": "https://"}, "link"),
    ({"message": "hi", "link": "http://["}, "link"),
    ({"message": "hi", "link": "https://exa mple.com"}, "link"),
    ({"message": "hi", "scheduled_at": "yesterday"}, "scheduled_at"),
    ({"message": "hi", "scheduled_at": later(minutes=5)}, "scheduled_at"),
    ({"message": "hi", "scheduled_at": later(days=31)}, "scheduled_at"),
    ({"message": "hi", "page_id": "999"}, "page_id"),
])
def test_posts_are_validated_locally_first(staff_client, linked, body, field):
    response = post(staff_client, body)
    assert field in assert_error(response, 400, "validation_error")["fields"]
    assert linked.calls == []
    assert not PagePost.objects.exists()


def test_message_at_facebooks_limit_is_accepted(staff_client, linked):
    assert post(staff_client, {"message": "x" * 63206}).status_code == 201


def test_posting_without_a_link_is_409_not_linked(staff_client, fake_facebook):
    assert_error(post(staff_client, {"message": "Hi"}), 409, "not_linked")
    assert not PagePost.objects.exists()


def test_posting_before_choosing_a_page_is_409(staff_client, fake_facebook):
    fake_facebook.pages = [page("302"), page("303")]
    link(staff_client)
    assert_error(post(staff_client, {"message": "Hi"}), 409, "not_linked")


@pytest.mark.parametrize("error", [
    TokenInvalid(provider="facebook", subcode=460),
    ContentRejected("Facebook refused this post as a duplicate.", provider="facebook"),
])
def test_final_graph_failure_is_answered_and_recorded_as_failed(staff_client, linked, error):
    linked.fail["publish_to_page"] = error
    response = post(staff_client, {"message": "Hi"})
    assert_error(response, error.status, error.code)
    row = PagePost.objects.get()
    assert (row.status, row.error_code, row.attempts) == ("failed", error.code, 1)
    assert row.error_message
    # A retry with the same key answers the recorded failure; nothing is sent again.
    replay = post(staff_client, {"message": "Hi"})
    assert replay.status_code == 200 and replay.json()["status"] == "failed"
    assert linked.names() == ["publish_to_page"]


def test_transient_failure_is_a_202_retrying_with_the_next_attempt(
        staff_client, linked, django_capture_on_commit_callbacks):
    linked.fail["publish_to_page"] = ProviderUnavailable(provider="facebook")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(staff_client, {"message": "Hi"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["attempts"], body["error_code"]) == (
        "retrying", 1, "provider_unavailable")
    assert body["next_attempt_at"] is not None
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "integrations.tasks.attempt_page_post"
    assert task.args_kwargs["args"] == [body["id"]]
    assert task.run_after.isoformat().startswith(body["next_attempt_at"][:16])


def test_timeout_is_a_202_unknown_and_queues_a_reconcile(
        staff_client, linked, django_capture_on_commit_callbacks):
    linked.fail["publish_to_page"] = ProviderTimeout(provider="facebook")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(staff_client, {"message": "Hi"})
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "unknown"
    assert "may have been published" in response.json()["error_message"]
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "integrations.tasks.reconcile_page_post"
    replay = post(staff_client, {"message": "Hi"})
    assert replay.status_code == 200 and replay.json()["status"] == "unknown"
    assert linked.names() == ["publish_to_page"], "an unknown outcome is never re-sent blind"


def test_history_is_newest_first_and_paginated(staff_client, linked):
    for i in range(3):
        post(staff_client, {"message": f"m{i}"}, key=f"k{i}")
    response = staff_client.get(URL, {"page_size": 2})
    body = response.json()
    assert body["count"] == 3 and body["next"] and body["previous"] is None
    assert [p["message"] for p in body["results"]] == ["m2", "m1"]
    assert [p["message"] for p in staff_client.get(URL, {"page_size": 2, "page": 2})
            .json()["results"]] == ["m0"]
    assert "SENTINEL" not in response.content.decode()


@pytest.mark.parametrize("page_size", ["0", "101", "abc", "2.5", "", "-1", "٢"])
def test_history_refuses_a_page_size_outside_1_to_100(staff_client, page_size):
    response = staff_client.get(URL, {"page_size": page_size})
    assert_error(response, 400, "validation_error")
    assert list(response.json()["fields"]) == ["page_size"]


def test_publish_page_post_service_records_like_the_api(linked, staff_user):
    result = page_posts.publish_page_post(message="From the event monitor",
                                                link="https://example.com")
    assert result.status == "published" and result.source == "service"
    again = page_posts.publish_page_post(message="From the event monitor",
                                               link="https://example.com",
                                               idempotency_key=result.idempotency_key)
    assert again.pk == result.pk
    assert linked.names() == ["publish_to_page"]


def test_post_to_page_command_posts_and_records(linked):
    out = StringIO()
    call_command("post_to_page", "Release 2.0 is out", "--link", "https://example.com/2",
                 stdout=out)
    row = PagePost.objects.get()
    assert (row.status, row.source, row.link) == ("published", "command", "https://example.com/2")
    assert f"Post #{row.pk} published" in out.getvalue()


def test_post_to_page_command_fails_clearly(fake_facebook):
    with pytest.raises(CommandError, match="not_linked"):
        call_command("post_to_page", "Hello")
    with pytest.raises(CommandError, match="link"):
        call_command("post_to_page", "Hello", "--link", "javascript:x")


@pytest.mark.django_db(transaction=True)
def test_racing_retries_publish_exactly_once(linked, staff_user):
    """Two requests with the same key at the same moment: one Graph call; the other is told at
    once that the first is in progress (409 with Retry-After), never held waiting."""
    original = linked.publish_to_page
    sending = threading.Event()

    def slow_publish(*args, **kwargs):
        sending.set()
        time.sleep(1.0)
        return original(*args, **kwargs)

    linked.publish_to_page = slow_publish
    responses = {}

    def send(name):
        client = APIClient()
        client.force_login(staff_user)
        try:
            responses[name] = post(client, {"message": "Race"}, key="race-1")
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert sending.wait(10)
    send("second")
    first.join(30)
    assert responses["first"].status_code == 201
    body = assert_error(responses["second"], 409, "idempotency_in_progress")
    assert 1 <= int(responses["second"]["Retry-After"]) <= 10
    assert body["retry_after"] == int(responses["second"]["Retry-After"])
    assert linked.names() == ["publish_to_page"]
    assert PagePost.objects.count() == 1


def test_a_replay_while_sending_is_answered_at_once(linked):
    PagePost.objects.create(idempotency_key="busy", page_id="201", message="Hi",
                            attempt_started_at=timezone.now(), attempts=1,
                            request_fingerprint=page_posts.request_fingerprint(
                                message="Hi", link=None, scheduled_at=None))
    started = time.monotonic()
    with pytest.raises(IdempotencyInProgress) as caught:
        page_posts.publish_page_post(message="Hi", idempotency_key="busy")
    assert time.monotonic() - started < 1, "answered at once, not after waiting"
    assert caught.value.retry_after_s >= 1
    assert linked.calls == []


def test_a_post_abandoned_mid_publish_goes_to_reconciliation_not_stuck_forever(
        linked, django_capture_on_commit_callbacks):
    stuck = PagePost.objects.create(idempotency_key="orphan", page_id="201", message="Hi",
                                    attempts=1,
                                    attempt_started_at=timezone.now() - timedelta(hours=1),
                                    request_fingerprint=page_posts.request_fingerprint(
                                        message="Hi", link=None, scheduled_at=None))
    with django_capture_on_commit_callbacks(execute=True):
        post = page_posts.publish_page_post(message="Hi", idempotency_key="orphan")
    assert post.pk == stuck.pk
    assert post.status == "unknown" and post.error_code == "outcome_unknown"
    assert "may have been published" in post.error_message
    assert DBTaskResult.objects.get().task_path == "integrations.tasks.reconcile_page_post"
    assert linked.calls == [], "never republished: it may already be on the Page"
