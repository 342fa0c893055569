"""The staff-only automations API and the webhook registration through GitHub's REST API
(mocked with `responses`)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from responses import matchers

from automations.errors import AutomationExists
from automations.models import Automation, WebhookDelivery
from automations.services import create_automation
from integrations.models import PagePost
from tests.automations.conftest import (
    HOOKS,
    TEMPLATE,
    client_for,
    create,
    hook_answer,
    make_staff,
)
from tests.fixtures.assertions import assert_error
from tests.fixtures.github import ACCESS_TOKEN

pytestmark = pytest.mark.django_db


def test_creating_an_automation_registers_a_signed_json_hook(hook_client, hook_staff, github):
    github.post(HOOKS, status=201, json=hook_answer(4242), match=[
        matchers.header_matcher({"Authorization": f"Bearer {ACCESS_TOKEN}"})])
    response = create(hook_client)
    assert response.status_code == 201, response.content
    body = response.json()
    automation = Automation.objects.get()
    sent = json.loads(github.calls[0].request.body)
    assert sent["events"] == ["release", "create"] and sent["active"] is True
    assert sent["config"] == {
        "url": f"http://127.0.0.1:8000/api/v1/github/webhook?automation={automation.pk}",
        "content_type": "json", "secret": automation.secret, "insecure_ssl": "0"}
    assert len(automation.secret) >= 43  # 32 random bytes, urlsafe base64 (S51)
    assert automation.hook_id == 4242 and automation.created_by == hook_staff
    assert body["hook_registered"] is True and body["hook_mode"] == "github"
    assert body["secret"] is None  # GitHub has it; nobody else sees it
    assert body["created_by"]["display_name"] == "octocat"
    assert automation.secret not in json.dumps(body)


def test_the_secret_is_encrypted_at_rest(hook_client, github):
    github.post(HOOKS, status=201, json=hook_answer())
    create(hook_client)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM automations_automation")
        (stored,) = cursor.fetchone()
    assert stored != Automation.objects.get().secret and stored.startswith("gAAAAA")


def test_manual_mode_shows_the_payload_url_and_secret_once(hook_client, github):
    response = create(hook_client, mode="manual")
    assert response.status_code == 201
    body = response.json()
    automation = Automation.objects.get()
    assert body["secret"] == automation.secret
    assert body["payload_url"].endswith(f"/api/v1/github/webhook?automation={automation.pk}")
    assert len(github.calls) == 0 and body["hook_registered"] is False
    listed = hook_client.get("/api/v1/automations").json()
    detail = hook_client.get(f"/api/v1/automations/{automation.pk}").json()
    assert "secret" not in listed[0] and "secret" not in detail
    assert automation.secret not in json.dumps([listed, detail])


def test_manual_mode_needs_no_hook_scope(db, github):
    client = client_for(make_staff(scopes="read:user,user:email"))
    assert create(client, mode="manual").status_code == 201


def test_without_admin_repo_hook_the_answer_names_the_missing_scope(db, github):
    client = client_for(make_staff(scopes="read:user,user:email"))
    body = assert_error(create(client), 403, "permission_missing")
    assert body["missing"] == ["admin:repo_hook"]
    assert len(github.calls) == 0 and Automation.objects.count() == 0


def test_the_repo_scope_is_enough(db, github):
    github.post(HOOKS, status=201, json=hook_answer())
    client = client_for(make_staff(scopes="repo"))
    assert create(client).status_code == 201


@pytest.mark.parametrize("status", [403, 404])
def test_no_permission_on_the_repository_is_a_clear_400(hook_client, github, status):
    github.post(HOOKS, status=status, json={"message": "Not Found"})
    assert_error(create(hook_client), 400, "repository_not_administered")
    assert Automation.objects.count() == 0


def test_github_down_leaves_no_automation(hook_client, github):
    github.post(HOOKS, status=502, json={"message": "Server Error"})
    assert_error(create(hook_client), 502, "provider_unavailable")
    assert Automation.objects.count() == 0


def test_an_unknown_placeholder_is_a_400_naming_it(hook_client, github):
    body = assert_error(create(hook_client, message_template="{repo} {version}"), 400,
                        "validation_error")
    problems = " ".join(body["fields"]["message_template"])
    assert "{repo}" in problems and "{version}" in problems
    assert len(github.calls) == 0


@pytest.mark.parametrize(("field", "value"), [
    ("repository", "not a repo"), ("repository", "octocat/hello/world"),
    ("events", ["push"]), ("events", []), ("link", "javascript:alert(1)"),
    ("mode", "magic"), ("secret", "mine"),
])
def test_bad_input_is_refused(hook_client, github, field, value):
    body = assert_error(create(hook_client, **{field: value}), 400, "validation_error")
    assert field in body["fields"]


def test_one_automation_per_repository(hook_client, github):
    create(hook_client, mode="manual")
    body = assert_error(create(hook_client, repository="OctoCat/Hello-World", mode="manual"),
                        400, "validation_error")
    assert "repository" in body["fields"]


def test_list_and_detail_show_the_last_deliveries(hook_client, github):
    create(hook_client, mode="manual")
    automation = Automation.objects.get()
    WebhookDelivery.objects.create(delivery_id="d-1", automation=automation, event="release",
                                   tag="v1.2.0", outcome="queued")
    listed = hook_client.get("/api/v1/automations")
    assert listed.status_code == 200
    (item,) = listed.json()
    assert item["repository"] == "octocat/hello-world" and item["events"] == ["release"]
    assert [(d["delivery_id"], d["tag"], d["outcome"]) for d in item["recent_deliveries"]] == [
        ("d-1", "v1.2.0", "queued")]


def test_a_delivery_shows_its_post_s_current_status(hook_client, github,
                                                    django_assert_num_queries):
    create(hook_client, mode="manual")
    automation = Automation.objects.get()
    post = PagePost.objects.create(idempotency_key="github-delivery:d-1", message="v1.2.0",
                                   status="queued")
    WebhookDelivery.objects.create(delivery_id="d-1", automation=automation, event="release",
                                   tag="v1.2.0", outcome="queued", page_post=post)
    WebhookDelivery.objects.create(delivery_id="d-0", automation=automation, event="ping",
                                   outcome="ping")
    PagePost.objects.filter(pk=post.pk).update(status="failed", error_code="token_invalid")

    def deliveries():
        (item,) = hook_client.get("/api/v1/automations").json()
        return {d["delivery_id"]: (d["outcome"], d["post_status"])
                for d in item["recent_deliveries"]}

    # The delivery queued the post; the post has failed since: both are said.
    assert deliveries() == {"d-1": ("queued", "failed"), "d-0": ("ping", None)}
    # The post's status comes with the deliveries, not in a query per delivery.
    with CaptureQueriesContext(connection) as counted:
        deliveries()
    single = len(counted.captured_queries)
    WebhookDelivery.objects.create(delivery_id="d-2", automation=automation, event="release",
                                   tag="v1.3.0", outcome="queued", page_post=post)
    with django_assert_num_queries(single):
        deliveries()


def test_disable_deletes_the_hook_and_enable_registers_it_again(hook_client, github):
    github.post(HOOKS, status=201, json=hook_answer(4242))
    create(hook_client)
    automation = Automation.objects.get()
    github.delete(f"{HOOKS}/4242", status=204)
    off = hook_client.patch(f"/api/v1/automations/{automation.pk}", {"enabled": False},
                            format="json")
    assert off.status_code == 200 and off.json()["hook_registered"] is False
    github.post(HOOKS, status=201, json=hook_answer(4343))
    on = hook_client.patch(f"/api/v1/automations/{automation.pk}", {"enabled": True},
                           format="json")
    assert on.status_code == 200 and on.json()["hook_registered"] is True
    assert Automation.objects.get().hook_id == 4343
    assert [c.request.method for c in github.calls] == ["POST", "DELETE", "POST"]


def test_patch_changes_the_template_with_the_same_checks(hook_client, github):
    create(hook_client, mode="manual")
    automation = Automation.objects.get()
    url = f"/api/v1/automations/{automation.pk}"
    assert_error(hook_client.patch(url, {"message_template": "{nope}"}, format="json"), 400,
                 "validation_error")
    changed = hook_client.patch(url, {"message_template": "New: {tag}"}, format="json")
    assert changed.json()["message_template"] == "New: {tag}"
    assert_error(hook_client.patch(url, {"repository": "x/y"}, format="json"), 400,
                 "validation_error")


def test_delete_deletes_the_hook(hook_client, github):
    github.post(HOOKS, status=201, json=hook_answer(4242))
    create(hook_client)
    automation = Automation.objects.get()
    github.delete(f"{HOOKS}/4242", status=204)
    assert hook_client.delete(f"/api/v1/automations/{automation.pk}").status_code == 204
    assert Automation.objects.count() == 0
    assert github.calls[-1].request.method == "DELETE"


def test_delete_keeps_the_automation_when_github_refuses(hook_client, github):
    github.post(HOOKS, status=201, json=hook_answer(4242))
    create(hook_client)
    automation = Automation.objects.get()
    github.delete(f"{HOOKS}/4242", status=403, json={"message": "Forbidden"})
    assert_error(hook_client.delete(f"/api/v1/automations/{automation.pk}"), 400,
                 "repository_not_administered")
    assert Automation.objects.count() == 1


def test_unknown_automation_is_404(hook_client):
    assert_error(hook_client.get("/api/v1/automations/999"), 404, "not_found")


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/automations"), ("post", "/api/v1/automations"),
    ("get", "/api/v1/automations/{pk}"), ("patch", "/api/v1/automations/{pk}"),
    ("delete", "/api/v1/automations/{pk}"),
])
def test_non_staff_and_anonymous_are_refused_everywhere(hook_client, plain_client, api_client,
                                                        github, method, path):
    create(hook_client, mode="manual")
    url = path.format(pk=Automation.objects.get().pk)
    body = {"message_template": "{tag}"}
    assert_error(getattr(plain_client, method)(url, body, format="json"), 403,
                 "permission_denied")
    assert_error(getattr(api_client, method)(url, body, format="json"), 401,
                 "not_authenticated")
    assert Automation.objects.get().message_template == TEMPLATE


def test_a_racing_second_automation_for_the_repository_is_a_409(hook_staff):
    create_automation(user=hook_staff, repository="octocat/Hello-World", events=["release"],
                      message_template="{tag}", mode="manual")
    with pytest.raises(AutomationExists):  # past the serializer's check, as a race would be
        create_automation(user=hook_staff, repository="OCTOCAT/hello-world", events=["release"],
                          message_template="{tag}", mode="manual")
    assert Automation.objects.count() == 1
