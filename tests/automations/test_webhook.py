"""POST /api/v1/github/webhook as an attacker and as GitHub: signature before anything else
(S48), a delivery id processed once (S49), the body capped and Facebook never called inline
(S50), each delivery recorded with its outcome."""

import json
import secrets

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from automations.models import Automation, WebhookDelivery
from integrations.models import PagePost
from tests.automations.conftest import (
    REPOSITORY_ID,
    TEMPLATE,
    deliver,
    release_id_of,
    release_payload,
    signature,
)
from tests.fixtures.assertions import assert_error
from tests.fixtures.facebook import link

pytestmark = pytest.mark.django_db

DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


def automation(repository="octocat/Hello-World", **fields) -> Automation:
    return Automation.objects.create(
        repository=repository, events=fields.pop("events", ["release"]),
        message_template=TEMPLATE, secret=secrets.token_urlsafe(32), **fields)


@pytest.fixture
def github_client():
    return Client()  # GitHub has no session and no CSRF token


def nothing_stored():
    return (WebhookDelivery.objects.count(), PagePost.objects.count(),
            DBTaskResult.objects.count()) == (0, 0, 0)


def test_a_signed_release_queues_one_page_post_without_calling_facebook(
        linked, github_client, django_capture_on_commit_callbacks):
    auto = automation()
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(github_client, auto, release_payload("v1.2.0"), delivery=DELIVERY)
    assert response.status_code == 200, response.content
    post = PagePost.objects.get()
    assert response.json() == {"delivery": DELIVERY, "outcome": "queued", "page_post": post.pk}
    assert post.status == "queued"
    assert post.idempotency_key == (
        f"github:release:a{auto.pk}:r{REPOSITORY_ID}:{release_id_of('v1.2.0')}:published")
    assert post.message == ("octocat/Hello-World v1.2.0 is out: Version v1.2.0 by octocat "
                            "https://github.com/octocat/Hello-World/releases/tag/v1.2.0")
    assert post.link == "https://github.com/octocat/Hello-World/releases/tag/v1.2.0"
    assert linked.calls == []  # the worker posts, not the webhook
    record = WebhookDelivery.objects.get()
    assert (record.delivery_id, record.automation, record.event, record.action, record.tag,
            record.outcome, record.page_post) == (DELIVERY, auto, "release", "published",
                                                  "v1.2.0", "queued", post)


def test_a_redelivery_answers_200_and_makes_no_second_post(linked, github_client):
    auto = automation()
    first = deliver(github_client, auto, release_payload(), delivery=DELIVERY)
    again = deliver(github_client, auto, release_payload(), delivery=DELIVERY)
    assert again.status_code == 200
    assert again.json()["page_post"] == first.json()["page_post"]
    assert PagePost.objects.count() == 1
    assert WebhookDelivery.objects.get().times_received == 2


def test_two_releases_are_two_posts(linked, github_client):
    auto = automation()
    deliver(github_client, auto, release_payload("v1.0.0"))
    deliver(github_client, auto, release_payload("v1.1.0"))
    assert sorted(p.message.split()[1] for p in PagePost.objects.all()) == ["v1.0.0", "v1.1.0"]


def test_a_custom_link_replaces_the_release_url(linked, github_client):
    deliver(github_client, automation(link="https://example.com/changelog"), release_payload())
    assert PagePost.objects.get().link == "https://example.com/changelog"


def test_ping_is_200_and_recorded(github_client):
    auto = automation()
    response = deliver(github_client, auto, {"zen": "Design for failure.", "hook_id": 1},
                       event="ping")
    assert response.status_code == 200 and response.json()["outcome"] == "ping"
    assert WebhookDelivery.objects.get().outcome == "ping"


@pytest.mark.parametrize(("event", "payload"), [
    ("push", {"ref": "refs/heads/main", "repository": {"full_name": "octocat/Hello-World"}}),
    ("release", release_payload(action="created")),
    ("create", {"ref": "v1", "ref_type": "tag", "repository": {"full_name": "x/y"}}),
])
def test_other_events_and_actions_are_202_and_post_nothing(linked, github_client, event,
                                                          payload):
    response = deliver(github_client, automation(), payload, event=event)
    assert response.status_code == 202 and response.json()["outcome"] == "ignored"
    assert PagePost.objects.count() == 0


def test_a_pushed_tag_posts_when_the_automation_asks_for_tags(linked, github_client):
    auto = automation(events=["release", "tag"])
    response = deliver(github_client, auto, {
        "ref": "v2.0.0", "ref_type": "tag",
        "repository": {"id": REPOSITORY_ID, "full_name": "octocat/Hello-World",
                       "html_url": "https://github.com/octocat/Hello-World"},
        "sender": {"login": "octocat"}}, event="create")
    assert response.status_code == 200
    assert "v2.0.0" in PagePost.objects.get().message


def test_a_release_of_another_repository_is_ignored(linked, github_client):
    response = deliver(github_client, automation(), release_payload(repo="evil/repo"))
    assert response.status_code == 202 and PagePost.objects.count() == 0


def test_a_disabled_automation_records_the_delivery_and_posts_nothing(linked, github_client):
    response = deliver(github_client, automation(enabled=False), release_payload())
    assert response.status_code == 202 and response.json()["outcome"] == "disabled"
    assert PagePost.objects.count() == 0


def test_without_a_linked_page_the_failure_is_recorded_and_a_redelivery_retries(
        github_client, staff_client, fake_facebook):
    auto = automation()
    failed = deliver(github_client, auto, release_payload(), delivery=DELIVERY)
    assert failed.status_code == 200 and failed.json()["outcome"] == "failed"
    assert WebhookDelivery.objects.get().detail == "not_linked"
    assert link(staff_client).status_code == 200
    again = deliver(github_client, auto, release_payload(), delivery=DELIVERY)
    assert again.json()["outcome"] == "queued" and PagePost.objects.count() == 1


# --- attacks ----------------------------------------------------------------------------------


def test_a_flipped_body_byte_is_401_and_nothing_is_stored(linked, github_client):
    auto = automation()
    body = json.dumps(release_payload()).encode()
    tampered = body.replace(b"v1.2.0", b"v6.6.6")
    response = deliver(github_client, auto, None, body=tampered,
                       headers={"HTTP_X_HUB_SIGNATURE_256": signature(auto.secret, body)})
    assert_error(response, 401, "signature_invalid")
    assert nothing_stored()


def test_the_right_signature_for_another_hooks_secret_is_401(linked, github_client):
    mine, other = automation(), automation("octocat/Spoon-Knife")
    response = deliver(github_client, mine, release_payload(), secret=other.secret)
    assert_error(response, 401, "signature_invalid")
    assert nothing_stored()


@pytest.mark.parametrize("header", [None, "", "sha1=0123456789abcdef0123456789abcdef01234567",
                                    "sha256=" + "0" * 64])
def test_a_missing_legacy_or_wrong_signature_is_401(linked, github_client, header):
    response = deliver(github_client, automation(), release_payload(),
                       headers={"HTTP_X_HUB_SIGNATURE_256": header})
    assert_error(response, 401, "signature_invalid")
    assert nothing_stored()


@pytest.mark.parametrize("query", ["", "?automation=", "?automation=999", "?automation=1e3",
                                   "?automation=-1"])
def test_an_unknown_automation_is_401(github_client, query):
    automation()
    body = json.dumps(release_payload()).encode()
    response = github_client.post(f"/api/v1/github/webhook{query}", body,
                                  content_type="application/json", HTTP_X_GITHUB_EVENT="release",
                                  HTTP_X_GITHUB_DELIVERY=DELIVERY,
                                  HTTP_X_HUB_SIGNATURE_256="sha256=" + "0" * 64)
    assert_error(response, 401, "signature_invalid")
    assert nothing_stored()


def test_a_signed_body_that_is_not_a_json_object_is_400(github_client):
    response = deliver(github_client, automation(), None, body=b"[1, 2]")
    assert_error(response, 400, "payload_invalid")
    assert WebhookDelivery.objects.count() == 0


def test_a_delivery_without_its_id_is_400(github_client):
    response = deliver(github_client, automation(), release_payload(),
                       headers={"HTTP_X_GITHUB_DELIVERY": ""})
    assert_error(response, 400, "payload_invalid")


def test_a_10_mb_body_is_413_before_it_is_read(github_client):
    auto = automation()
    body = b"{" + b" " * (10 * 1024 * 1024) + b"}"
    response = deliver(github_client, auto, None, body=body)
    assert_error(response, 413, "request_too_large")
    assert nothing_stored()


def test_the_webhook_needs_no_session_or_csrf_token(linked):
    csrf_checking = Client(enforce_csrf_checks=True)
    response = deliver(csrf_checking, automation(), release_payload())
    assert response.status_code == 200


def test_the_secret_never_reaches_the_logs(linked, github_client, caplog):
    auto = automation()
    deliver(github_client, auto, release_payload())
    deliver(github_client, auto, release_payload(), secret="wrong")
    assert auto.secret not in caplog.text


def test_post_history_shows_the_automation_repository_tag_and_delivery(
        linked, github_client, staff_client):
    auto = automation()
    deliver(github_client, auto, release_payload("v1.2.0"), delivery=DELIVERY)
    staff_client.post("/api/v1/facebook/page/posts", {"message": "By hand"}, format="json",
                      HTTP_IDEMPOTENCY_KEY="by-hand-1")
    history = staff_client.get("/api/v1/facebook/page/posts").json()["results"]
    by_message = {p["message"]: p["automation"] for p in history}
    assert by_message["By hand"] is None
    (from_release,) = [a for a in by_message.values() if a]
    assert from_release == {"automation": auto.pk, "repository": "octocat/Hello-World",
                            "tag": "v1.2.0", "delivery_id": DELIVERY}
