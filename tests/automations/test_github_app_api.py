"""The GitHub App mode through the API (no sandbox): who may use it, what app-mode
automations need, how the app webhook answers, and what the schema shows."""

import json
import uuid

import pytest
import responses
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from automations.deliveries import MAX_BODY_BYTES
from automations.models import Automation, Installation, WebhookDelivery
from integrations.models import OAuthFlow, PagePost
from tests.automations.conftest import TEMPLATE, client_for, make_staff, signature

pytestmark = pytest.mark.django_db
APP_SECRET = "SENTINEL-app-webhook-secret"
WEBHOOK = "/api/v1/github/app/webhook"


@pytest.fixture
def staff_client():
    return client_for(make_staff(scopes="read:user,user:email"))  # no hook scope


@pytest.fixture
def app_secret(settings):
    settings.GITHUB_APP_WEBHOOK_SECRET = APP_SECRET
    return APP_SECRET


def installation(**fields):
    return Installation.objects.create(**{
        "github_id": 60000001, "account_login": "octocat", "account_id": 583231,
        "account_type": "User", "repository_selection": "selected",
        "repositories": ["octocat/Hello-World"], **fields})


def create_app(client, **fields):
    return client.post("/api/v1/automations", {
        "repository": "octocat/hello-world", "events": ["release"], "message_template": TEMPLATE,
        "mode": "app", "installation": 60000001, **fields}, format="json")


def deliver(payload, *, event, secret=APP_SECRET, delivery=None):
    body = json.dumps(payload).encode()
    return APIClient().post(WEBHOOK, body, content_type="application/json",
                            HTTP_X_GITHUB_EVENT=event,
                            HTTP_X_GITHUB_DELIVERY=delivery or str(uuid.uuid4()),
                            HTTP_X_HUB_SIGNATURE_256=signature(secret, body))


def test_app_state_is_staff_only_and_says_when_app_mode_is_off(staff_client):
    other = get_user_model().objects.create_user("visitor")
    assert client_for(other).get("/api/v1/github/app").status_code == 403
    answer = staff_client.get("/api/v1/github/app")
    assert answer.status_code == 200
    assert answer.json() == {"configured": False, "webhook_url": None, "installations": []}


def test_install_without_app_mode_is_404_and_makes_no_state(staff_client):
    """App mode is optional: its absence is not a server fault (the schema fuzzer's rule)."""
    answer = staff_client.post("/api/v1/github/app/install", {}, format="json")
    assert answer.status_code == 404
    assert answer.json()["code"] == "github_app_not_configured"
    assert not OAuthFlow.objects.exists()
    connect = staff_client.post("/api/v1/github/app/installations",
                                {"installation_id": 1, "setup_action": "install",
                                 "state": "x" * 43}, format="json")
    assert connect.status_code in (400, 404) and connect.status_code != 503


def test_app_mode_needs_an_installation_and_only_app_mode_takes_one(staff_client):
    missing = staff_client.post("/api/v1/automations", {
        "repository": "octocat/hello-world", "message_template": TEMPLATE, "mode": "app"},
        format="json")
    assert missing.status_code == 400 and "installation" in missing.json()["fields"]
    stray = create_app(staff_client, mode="manual")
    assert stray.status_code == 400 and "installation" in stray.json()["fields"]


def test_an_app_mode_automation_asks_no_scope_and_calls_nobody(staff_client):
    installation()
    with responses.RequestsMock():  # any HTTP call would fail the test
        answer = create_app(staff_client)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["hook_mode"], body["installation"], body["hook_registered"]) == (
        "app", 60000001, False)
    assert body["secret"] is None


@pytest.mark.parametrize("state", [
    {"github_id": 1},  # another installation than the one asked for
    {"suspended": True},
    {"repositories": ["octocat/Spoon-Knife"]},
])
def test_an_installation_that_cannot_deliver_the_repository_is_refused(staff_client, state):
    installation(**state)
    answer = create_app(staff_client)
    assert answer.status_code == 400
    assert answer.json()["code"] == "installation_unavailable"
    assert not Automation.objects.exists()


def test_the_app_webhook_answers_ping_200_and_other_events_202(app_secret):
    assert deliver({"zen": "hi", "hook": {"type": "App"}}, event="ping").status_code == 200
    answer = deliver({"action": "opened"}, event="issues")
    assert answer.status_code == 202 and answer.json()["outcome"] == "ignored"


def test_an_app_redelivery_updates_its_row_and_counts_it(app_secret):
    for _ in range(2):
        assert deliver({"zen": "hi"}, event="ping", delivery="app-ping-1").status_code == 200
    recorded = WebhookDelivery.objects.get()
    assert (recorded.automation_id, recorded.delivery_id, recorded.times_received) == (
        None, "app-ping-1", 2)


def test_the_app_webhook_refuses_another_secret_and_stores_nothing(app_secret):
    answer = deliver({"zen": "hi"}, event="ping", secret="another-secret")
    assert answer.status_code == 401 and answer.json()["code"] == "signature_invalid"
    assert not WebhookDelivery.objects.exists()


def test_without_app_mode_every_delivery_is_refused(settings):
    settings.GITHUB_APP_WEBHOOK_SECRET = ""
    assert deliver({"zen": "hi"}, event="ping", secret="").status_code == 401


def test_the_app_webhook_caps_the_body_before_reading_it(app_secret):
    answer = APIClient().post(WEBHOOK, b"{}", content_type="application/json",
                              HTTP_X_GITHUB_EVENT="ping", HTTP_X_GITHUB_DELIVERY="d",
                              CONTENT_LENGTH=str(MAX_BODY_BYTES + 1))
    assert answer.status_code == 413


def test_a_300_kb_app_delivery_is_read_under_the_webhook_cap_not_djangos(app_secret):
    # Django's DATA_UPLOAD_MAX_MEMORY_SIZE (256 kB) is for other endpoints: a release with
    # long notes reaches the app webhook as it reaches a repository hook's.
    answer = deliver({"zen": "hi", "notes": "Long notes. " * 25_600}, event="ping")
    assert answer.status_code == 200, answer.content


def test_a_release_of_an_installation_we_do_not_know_posts_nothing(app_secret):
    answer = deliver({"action": "published", "installation": {"id": 5},
                      "release": {"id": 1, "tag_name": "v1"},
                      "repository": {"id": 2, "full_name": "octocat/Hello-World"}},
                     event="release")
    assert answer.status_code == 202
    assert not PagePost.objects.exists()


def test_an_uninstall_disables_automations_and_says_why(app_secret, staff_client):
    installed = installation()
    automation = Automation.objects.create(
        repository="octocat/Hello-World", events=["release"], message_template=TEMPLATE,
        hook_mode="app", installation=installed, secret="x")
    answer = deliver({"action": "deleted", "installation": {"id": installed.github_id}},
                     event="installation")
    assert answer.status_code == 200 and answer.json()["outcome"] == "updated"
    automation.refresh_from_db()
    assert (automation.enabled, automation.disabled_reason) == (False, "installation_deleted")
    shown = staff_client.get(f"/api/v1/automations/{automation.pk}").json()
    assert shown["disabled_reason"] == "installation_deleted"


def test_enabling_by_hand_clears_the_reason_only_when_the_cause_is_gone(app_secret,
                                                                        staff_client):
    installed = installation(suspended=True)
    automation = Automation.objects.create(
        repository="octocat/Hello-World", events=["release"], message_template=TEMPLATE,
        hook_mode="app", installation=installed, secret="x", enabled=False,
        disabled_reason="installation_suspended")
    path = f"/api/v1/automations/{automation.pk}"
    refused = staff_client.patch(path, {"enabled": True}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "installation_unavailable"
    Installation.objects.update(suspended=False)
    enabled = staff_client.patch(path, {"enabled": True}, format="json")
    assert enabled.status_code == 200
    assert (enabled.json()["enabled"], enabled.json()["disabled_reason"]) == (True, "")


def test_the_schema_shows_the_mode_and_the_installation(client):
    schema = client.get("/api/v1/schema?format=json").json()
    components = schema["components"]["schemas"]
    request = components["AutomationsInputRequest"]["properties"]
    mode = request["mode"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
    assert "app" in components[mode]["enum"]
    assert request["installation"]["type"] == "integer"
    automation = components["Automation"]["properties"]
    assert {"installation", "disabled_reason", "hook_mode"} <= set(automation)
    for path in ("/api/v1/github/app", "/api/v1/github/app/install",
                 "/api/v1/github/app/installations", "/api/v1/github/app/webhook"):
        assert path in schema["paths"]
