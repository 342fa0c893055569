"""Posting to the Page: local validation, idempotency (also racing), recording, history."""

import threading
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from integrations.errors import (
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


@pytest.mark.parametrize(("error", "status"), [
    (ProviderUnavailable(provider="facebook"), 502),
    (ProviderTimeout(provider="facebook"), 504),
    (TokenInvalid(provider="facebook", subcode=460), 409),
])
def test_graph_failure_is_answered_and_recorded_as_failed(staff_client, linked, error, status):
    linked.fail["publish_to_page"] = error
    response = post(staff_client, {"message": "Hi"})
    assert_error(response, status, error.code)
    row = PagePost.objects.get()
    assert (row.status, row.error_code) == ("failed", error.code)
    assert row.error_message
    # A retry with the same key answers the recorded failure; nothing is sent again.
    replay = post(staff_client, {"message": "Hi"})
    assert replay.status_code == 200 and replay.json()["status"] == "failed"
    assert linked.names() == ["publish_to_page"]


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
    """Two requests with the same key at the same moment: one Graph call, one answer."""
    original = linked.publish_to_page

    def slow_publish(*args, **kwargs):
        time.sleep(0.5)
        return original(*args, **kwargs)

    linked.publish_to_page = slow_publish
    barrier = threading.Barrier(2)
    responses = []

    def send():
        client = APIClient()
        client.force_login(staff_user)
        barrier.wait()
        try:
            responses.append(post(client, {"message": "Race"}, key="race-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.status_code for r in responses) == [200, 201]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert responses[0].json()["status"] == "published" == responses[1].json()["status"]
    assert linked.names() == ["publish_to_page"]
    assert PagePost.objects.count() == 1


def test_a_retry_that_waits_too_long_is_told_to_come_back(linked, monkeypatch):
    PagePost.objects.create(idempotency_key="stuck", page_id="201", message="Hi",
                            request_fingerprint=page_posts.request_fingerprint(
                                message="Hi", link=None, scheduled_at=None))
    monkeypatch.setattr(page_posts, "IDEMPOTENCY_WAIT_S", 0.2)
    with pytest.raises(IdempotencyInProgress):
        page_posts.publish_page_post(message="Hi", idempotency_key="stuck")
    assert linked.calls == []


def test_a_post_abandoned_mid_publish_is_closed_as_unknown_not_stuck_forever(linked):
    from datetime import timedelta

    from django.utils import timezone

    stuck = PagePost.objects.create(idempotency_key="orphan", page_id="201", message="Hi",
                                    request_fingerprint=page_posts.request_fingerprint(
                                        message="Hi", link=None, scheduled_at=None))
    PagePost.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=1))
    post = page_posts.publish_page_post(message="Hi", idempotency_key="orphan")
    assert post.pk == stuck.pk
    assert post.status == "failed" and post.error_code == "outcome_unknown"
    assert "may have been published" in post.error_message
    assert linked.calls == [], "never republished: it may already be on the Page"
