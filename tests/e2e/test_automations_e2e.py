"""Release automations end to end: the live server, a real `db_worker`, and the sandbox
playing GitHub (hooks API, signed release deliveries) and Facebook (the Page)."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.contrib.auth import get_user_model

from automations.models import Automation, WebhookDelivery
from integrations.config import clear_client_cache
from integrations.github.webhooks import sign
from integrations.models import PagePost
from tests.e2e.test_facebook_e2e import SAM_PAGE, link
from tests.e2e.test_github_e2e import Browser
from tests.fixtures.assertions import assert_error
from tests.fixtures.worker import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
AUTOMATIONS = "/api/v1/automations"
TEMPLATE = "{repository} {tag} is out: {name} {url}"


@pytest.fixture
def sandbox(sandbox_settings, settings):
    settings.STAFF_GITHUB_LOGINS = ["octocat"]
    clear_client_cache()
    yield sandbox_settings
    clear_client_cache()


def sign_in(browser, sandbox, user="octocat", scopes=None):
    body = {"scopes": scopes} if scopes else {}
    started = browser.call("POST", "/api/v1/auth/github/authorize", json=body)
    assert started.status_code == 201, started.text
    params = sandbox.github_consent(started.json()["authorize_url"], user=user)
    answer = browser.call("POST", "/api/v1/auth/github/callback",
                          json={"code": params["code"], "state": params["state"]})
    assert answer.status_code == 200, answer.text
    return answer.json()["user"]


@pytest.fixture
def staff(live_server, settings, sandbox):
    """octocat, staff, with the hook scope granted incrementally and the Page of sam linked."""
    browser = Browser(live_server.url, settings.CSRF_COOKIE_NAME)
    assert sign_in(browser, sandbox)["is_staff"] is True
    refused = create(browser)
    assert assert_error(refused, 403, "permission_missing")["missing"] == ["admin:repo_hook"]
    sign_in(browser, sandbox, scopes=["admin:repo_hook"])
    link(browser, sandbox, user="sam")
    return browser


def create(browser, repository="octocat/hello-world", **fields):
    return browser.call("POST", AUTOMATIONS, json={
        "repository": repository, "events": ["release"], "message_template": TEMPLATE,
        **fields})


def page_posts(sandbox):
    return [p for p in sandbox.posts() if p["page_id"] == SAM_PAGE]


def test_a_release_becomes_exactly_one_page_post(staff, sandbox, live_server, processes):
    created = create(staff)
    assert created.status_code == 201, created.text
    automation = created.json()
    [hook] = sandbox.hooks()
    assert hook["config"]["url"] == (f"{live_server.url}/api/v1/github/webhook"
                                     f"?automation={automation['id']}")
    assert hook["config"]["content_type"] == "json" and hook["id"] > 0
    worker = processes("worker")

    [delivery] = sandbox.release("octocat/hello-world", "v1.2.0", "Version 1.2")

    assert delivery["status"] == 200
    [posted] = wait_for(lambda: page_posts(sandbox), what="the Page post", children=(worker,))
    assert "v1.2.0" in posted["message"]
    assert posted["message"].startswith("octocat/Hello-World v1.2.0 is out: Version 1.2")
    history = staff.call("GET", "/api/v1/facebook/page/posts").json()["results"]
    assert history[0]["automation"] == {"automation": automation["id"],
                                        "repository": "octocat/Hello-World", "tag": "v1.2.0",
                                        "delivery_id": delivery["id"]}

    again = sandbox.redeliver(delivery["id"])  # GitHub's "Redeliver" button
    assert again["status"] == 200
    assert PagePost.objects.count() == 1
    assert wait_for(lambda: PagePost.objects.get().status == "published", what="published",
                    children=(worker,))
    assert len(page_posts(sandbox)) == 1
    logged = sandbox.requests("github.webhook_delivery")
    assert [(e["delivery"], e["status"]) for e in logged] == [(delivery["id"], 200)] * 2
    deliveries = staff.call("GET", AUTOMATIONS).json()[0]["recent_deliveries"]
    assert [(d["delivery_id"], d["outcome"], d["times_received"]) for d in deliveries] == [
        (delivery["id"], "queued", 2)]


def test_a_forged_signature_is_401_and_posts_nothing(staff, sandbox, live_server):
    automation = create(staff).json()
    body = json.dumps({"action": "published", "release": {"tag_name": "v6.6.6"},
                       "repository": {"id": 1296269,
                                      "full_name": "octocat/Hello-World"}}).encode()
    forged = requests.post(
        f"{live_server.url}/api/v1/github/webhook?automation={automation['id']}", data=body,
        headers={"Content-Type": "application/json", "X-GitHub-Event": "release",
                 "X-GitHub-Delivery": "forged-1", "User-Agent": "GitHub-Hookshot/evil",
                 "X-Hub-Signature-256": "sha256=" + "ab" * 32}, timeout=10)
    assert_error(forged, 401, "signature_invalid")
    assert PagePost.objects.count() == 0


def test_deleting_the_automation_deletes_the_hook_and_later_releases_post_nothing(
        staff, sandbox):
    automation = create(staff).json()
    assert len(sandbox.hooks()) == 1
    assert staff.call("DELETE", f"{AUTOMATIONS}/{automation['id']}").status_code == 204
    assert sandbox.hooks() == []
    assert sandbox.release("octocat/hello-world", "v1.3.0") == []
    assert PagePost.objects.count() == 0


def test_disabling_deletes_the_hook_and_enabling_registers_it_again(staff, sandbox):
    automation = create(staff).json()
    url = f"{AUTOMATIONS}/{automation['id']}"
    assert staff.call("PATCH", url, json={"enabled": False}).json()["hook_registered"] is False
    assert sandbox.hooks() == []
    assert staff.call("PATCH", url, json={"enabled": True}).json()["hook_registered"] is True
    assert len(sandbox.hooks()) == 1


def test_a_repository_the_staff_member_does_not_administer_is_a_clear_400(staff):
    assert_error(create(staff, repository="mona/smile"), 400, "repository_not_administered")


def test_non_staff_are_refused_on_every_automations_endpoint(staff, sandbox, live_server,
                                                              settings):
    automation = create(staff, mode="manual").json()
    mona = Browser(live_server.url, settings.CSRF_COOKIE_NAME)
    assert sign_in(mona, sandbox, user="mona")["is_staff"] is False
    anonymous = Browser(live_server.url, settings.CSRF_COOKIE_NAME)
    item = f"{AUTOMATIONS}/{automation['id']}"
    for method, path, body in [("GET", AUTOMATIONS, None), ("POST", AUTOMATIONS, {}),
                               ("GET", item, None), ("PATCH", item, {"enabled": False}),
                               ("DELETE", item, None)]:
        assert_error(mona.call(method, path, json=body), 403, "permission_denied")
        assert_error(anonymous.call(method, path, json=body), 401, "not_authenticated")
    refused = mona.call("POST", "/api/v1/auth/github/authorize",
                        json={"scopes": ["admin:repo_hook"]})
    assert_error(refused, 403, "permission_denied")
    assert get_user_model().objects.filter(is_staff=True).count() == 1


def test_racing_copies_of_one_delivery_make_one_post_and_slow_facebook_never_delays_it(
        staff, sandbox, live_server):
    """S49/S50: a captured delivery resent many times at once, under its own delivery id and
    under fresh ones, is one post; the webhook never calls Facebook (the sandbox's Graph is
    made slow and must see no call)."""
    automation = Automation.objects.get(pk=create(staff).json()["id"])
    sandbox.set_latency(3000)  # every provider call now waits 3 s
    body = json.dumps({"action": "published",
                       "release": {"id": 99999, "tag_name": "v9.9.9", "name": "Race",
                                   "html_url": "https://github.com/octocat/Hello-World/r/v9.9.9",
                                   "author": {"login": "octocat"}},
                       "repository": {"id": 1296269,
                                      "full_name": "octocat/Hello-World"}}).encode()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "release",
               "X-GitHub-Delivery": "race-1", "User-Agent": "GitHub-Hookshot/test",
               "X-Hub-Signature-256": sign(automation.secret, body)}
    url = f"{live_server.url}/api/v1/github/webhook?automation={automation.pk}"
    sandbox.http.delete(sandbox.url + "/_sandbox/requests", timeout=10)

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda i: requests.post(
            url, data=body, timeout=10,
            headers={**headers, "X-GitHub-Delivery": "race-1" if i % 2 else f"fresh-{i}"}),
            range(6)))

    sandbox.set_latency(0)
    assert [a.status_code for a in answers] == [200] * 6
    assert len({a.json()["page_post"] for a in answers}) == 1
    assert PagePost.objects.count() == 1
    assert WebhookDelivery.objects.get(delivery_id="race-1").times_received == 3
    assert WebhookDelivery.objects.count() == 4
    assert sandbox.requests() == []  # no provider call at all: the worker posts later


def test_a_300_kb_release_is_accepted_over_http_and_a_body_over_the_cap_is_413(
        staff, sandbox, live_server):
    """Issue 23: one deliberate cap (5 MiB), not Django's 256 kB, through a real server."""
    from automations.deliveries import MAX_BODY_BYTES

    automation = Automation.objects.get(pk=create(staff).json()["id"])
    url = f"{live_server.url}/api/v1/github/webhook?automation={automation.pk}"

    def send(notes: str) -> requests.Response:
        body = json.dumps({"action": "published",
                           "release": {"id": 4242, "tag_name": "v3.0.0", "name": "Long notes",
                                       "body": notes, "html_url": "https://github.com/o/r/v3",
                                       "author": {"login": "octocat"}},
                           "repository": {"id": 1296269,
                                          "full_name": "octocat/Hello-World"}}).encode()
        return requests.post(url, data=body, timeout=30, headers={
            "Content-Type": "application/json", "X-GitHub-Event": "release",
            "X-GitHub-Delivery": f"long-{len(body)}", "User-Agent": "GitHub-Hookshot/test",
            "X-Hub-Signature-256": sign(automation.secret, body)})

    accepted = send("Notes. " * 44_000)  # ≈ 300 kB
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["outcome"] == "queued"
    assert_error(send("n" * MAX_BODY_BYTES), 413, "request_too_large")
    assert PagePost.objects.count() == 1
