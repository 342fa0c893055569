"""The webhook against an attacker holding one captured, signed delivery (issue 23, S49/S50):
exactly once rests on what the signature covers, delivery ids are per automation, the unsigned
headers are held to GitHub's character set, and the body cap is one deliberate number."""

import io
import json
import logging

import pytest
from django.test import Client

from automations.deliveries import MAX_BODY_BYTES
from automations.models import WebhookDelivery
from integrations.models import PagePost
from tests.automations.conftest import REPOSITORY_ID, deliver, release_payload, signature
from tests.automations.test_webhook import DELIVERY, automation, nothing_stored
from tests.fixtures.assertions import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def github_client():
    return Client()


def test_a_captured_release_resent_with_a_fresh_delivery_id_posts_nothing_new(
        linked, github_client):
    auto = automation()
    genuine = deliver(github_client, auto, release_payload("v1.2.0"), delivery=DELIVERY)
    resent = deliver(github_client, auto, release_payload("v1.2.0"),
                     delivery="ffffffff-0000-4000-8000-000000000001")
    assert resent.status_code == 200, resent.content
    assert resent.json()["outcome"] == "queued"
    assert resent.json()["page_post"] == genuine.json()["page_post"]
    assert PagePost.objects.count() == 1


def test_two_releases_and_four_resends_are_two_posts(linked, github_client):
    """The review's reproduction: it gave six Page posts."""
    auto = automation()
    for tag in ("v1.0.0", "v1.1.0"):
        deliver(github_client, auto, release_payload(tag))
        for _ in range(2):
            deliver(github_client, auto, release_payload(tag))  # a fresh uuid each time
    assert PagePost.objects.count() == 2
    assert WebhookDelivery.objects.count() == 6


def test_the_same_release_edited_and_redelivered_still_names_its_first_post(
        linked, github_client):
    auto = automation()
    first = deliver(github_client, auto, release_payload("v1.2.0"))
    edited = release_payload("v1.2.0")
    edited["release"]["name"] = "A new name, same release id"
    again = deliver(github_client, auto, edited)
    assert again.status_code == 200 and again.json()["outcome"] == "queued"
    assert again.json()["page_post"] == first.json()["page_post"]
    assert PagePost.objects.count() == 1


def test_a_release_with_another_id_is_another_post(linked, github_client):
    auto = automation()
    deliver(github_client, auto, release_payload("v1.2.0", release_id=1))
    deliver(github_client, auto, release_payload("v1.2.0", release_id=2))
    assert PagePost.objects.count() == 2


def test_a_tag_resent_with_a_fresh_delivery_id_posts_once(linked, github_client):
    auto = automation(events=["release", "tag"])
    tag = {"ref": "v2.0.0", "ref_type": "tag",
           "repository": {"id": REPOSITORY_ID, "full_name": "octocat/Hello-World",
                          "html_url": "https://github.com/octocat/Hello-World"},
           "sender": {"login": "octocat"}}
    first = deliver(github_client, auto, tag, event="create")
    again = deliver(github_client, auto, tag, event="create")
    assert again.json()["page_post"] == first.json()["page_post"]
    assert PagePost.objects.count() == 1


def test_a_published_release_without_its_ids_is_400_and_posts_nothing(linked, github_client):
    payload = release_payload()
    del payload["release"]["id"]
    response = deliver(github_client, automation(), payload)
    assert_error(response, 400, "payload_invalid")
    assert nothing_stored()


def test_a_delivery_id_reused_for_another_automation_leaves_the_first_row_alone(
        linked, github_client):
    a = automation()
    b = automation("octocat/Spoon-Knife", events=["release", "tag"])
    deliver(github_client, a, release_payload("v1.2.0"), delivery=DELIVERY)
    before = WebhookDelivery.objects.values().get(automation=a)
    response = deliver(github_client, b, {"zen": "x", "hook_id": 2}, event="ping",
                       delivery=DELIVERY)
    assert response.status_code == 200 and response.json()["outcome"] == "ping"
    assert WebhookDelivery.objects.values().get(automation=a) == before
    assert before["outcome"] == "queued" and before["tag"] == "v1.2.0"
    assert WebhookDelivery.objects.get(automation=b).outcome == "ping"


@pytest.mark.parametrize(("header", "value"), [
    ("HTTP_X_GITHUB_DELIVERY", "\x1b[31mred\x1b[0m"),
    ("HTTP_X_GITHUB_DELIVERY", "abc\tdef"),
    ("HTTP_X_GITHUB_DELIVERY", "abc\ndef"),
    ("HTTP_X_GITHUB_DELIVERY", "a" * 65),
    ("HTTP_X_GITHUB_DELIVERY", "ünïcode"),
    ("HTTP_X_GITHUB_EVENT", "release\t"),
    ("HTTP_X_GITHUB_EVENT", "\x1b]0;title\x07"),
    ("HTTP_X_GITHUB_EVENT", "release event"),
])
def test_headers_outside_githubs_character_set_are_400_not_logged_not_stored(
        linked, github_client, caplog, header, value):
    caplog.set_level(logging.DEBUG)
    response = deliver(github_client, automation(), release_payload(),
                       headers={header: value})
    assert_error(response, 400, "payload_invalid")
    assert nothing_stored()
    assert value not in caplog.text and "\x1b" not in caplog.text and "\t" not in caplog.text


def test_a_300_kb_signed_release_is_200(linked, github_client):
    payload = release_payload(notes="Long notes. " * 25_600)
    body = json.dumps(payload).encode()
    assert len(body) > 300 * 1024
    response = deliver(github_client, automation(), None, body=body)
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "queued"


def padded(size: int) -> bytes:
    """A signed-able release body of exactly `size` bytes."""
    body = json.dumps(release_payload(notes="")).encode()
    return json.dumps(release_payload(notes="n" * (size - len(body)))).encode()


def test_a_body_of_exactly_the_cap_is_read_and_handled(linked, github_client):
    body = padded(MAX_BODY_BYTES)
    assert len(body) == MAX_BODY_BYTES
    response = deliver(github_client, automation(), None, body=body)
    assert response.status_code == 200, response.content


class Unreadable(io.RawIOBase):
    """A request stream that fails the test if anyone reads it."""

    def readable(self):
        return True

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readinto = read


def test_one_byte_over_the_cap_is_413_before_the_body_is_read(github_client):
    auto = automation()
    body = padded(MAX_BODY_BYTES + 1)
    response = github_client.post(
        f"/api/v1/github/webhook?automation={auto.pk}", b"", content_type="application/json",
        HTTP_X_GITHUB_EVENT="release", HTTP_X_GITHUB_DELIVERY=DELIVERY,
        HTTP_X_HUB_SIGNATURE_256=signature(auto.secret, body),
        CONTENT_LENGTH=str(len(body)), **{"wsgi.input": Unreadable()})
    assert_error(response, 413, "request_too_large")
    assert nothing_stored()
