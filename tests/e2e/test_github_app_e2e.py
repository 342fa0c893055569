"""GitHub App mode end to end: the live server, a real `db_worker`, and the sandbox playing
GitHub (the app, its install page, JWT-checked token minting, app deliveries) and Facebook.

One test per "Done when" bullet of issue 25."""

import json
import threading
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache

from automations.models import Automation, Installation, WebhookDelivery
from integrations.config import clear_client_cache, get_installation_tokens
from integrations.github.webhooks import sign
from integrations.models import OAuthFlow, PagePost
from tests.e2e.test_automations_e2e import page_posts, sign_in
from tests.e2e.test_facebook_e2e import link
from tests.e2e.test_github_e2e import Browser
from tests.fixtures.assertions import assert_error
from tests.fixtures.worker import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
AUTOMATIONS = "/api/v1/automations"
TEMPLATE = "{repository} {tag} is out: {name} {url}"
MINTS = "github.app_access_tokens"


@pytest.fixture
def sandbox(sandbox_settings, settings):
    settings.STAFF_GITHUB_LOGINS = ["octocat"]
    clear_client_cache()
    cache.clear()  # installation tokens of an earlier test's sandbox app
    yield sandbox_settings
    clear_client_cache()


@pytest.fixture
def staff(live_server, settings, sandbox):
    """octocat, staff, signed in with the default scopes only (no admin:repo_hook), with the
    Page of sam linked."""
    browser = Browser(live_server.url, settings.CSRF_COOKIE_NAME)
    user = sign_in(browser, sandbox)
    assert user["is_staff"] is True
    link(browser, sandbox, user="sam")
    return browser


def install_through_the_spa_flow(browser, sandbox, account="octocat",
                                 repositories=("octocat/Hello-World",)):
    """What the SPA does: ask for the install URL, send the browser to GitHub's install page,
    then POST what the setup URL carried."""
    started = browser.call("POST", "/api/v1/github/app/install", json={})
    assert started.status_code == 201, started.text
    params = sandbox.app_install_page(started.json()["install_url"], account, repositories)
    assert params["setup_action"] == "install"
    return browser.call("POST", "/api/v1/github/app/installations", json={
        "installation_id": int(params["installation_id"]),
        "setup_action": params["setup_action"], "state": params["state"]})


def fresh_state(browser):
    """A state as the install URL carries it (what an attacker with a session also has)."""
    started = browser.call("POST", "/api/v1/github/app/install", json={})
    assert started.status_code == 201, started.text
    return parse_qs(urlsplit(started.json()["install_url"]).query)["state"][0]


def create_app_automation(browser, installation_id, repository="octocat/hello-world"):
    return browser.call("POST", AUTOMATIONS, json={
        "repository": repository, "events": ["release"], "message_template": TEMPLATE,
        "mode": "app", "installation": installation_id})


@pytest.fixture
def installed(staff, sandbox):
    answer = install_through_the_spa_flow(staff, sandbox)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_install_through_the_spa_flow_connects_what_github_says(staff, sandbox):
    answer = install_through_the_spa_flow(staff, sandbox)

    assert answer.status_code == 201, answer.text
    installation = answer.json()
    assert installation["account"] == "octocat"
    assert installation["account_type"] == "User"
    assert installation["repositories"] == ["octocat/Hello-World"]
    state = staff.call("GET", "/api/v1/github/app").json()
    assert state["configured"] is True
    assert [(i["id"], i["repositories"]) for i in state["installations"]] == [
        (installation["id"], ["octocat/Hello-World"])]
    # The repositories were read with an installation token minted with a verified JWT.
    assert len(sandbox.requests(MINTS)) == 1
    [read] = sandbox.requests("github.installation_repositories")
    assert read["headers"]["Authorization"].startswith("token ghs_")


def test_an_app_mode_automation_needs_no_hook_scope_and_registers_no_hook(
        staff, sandbox, installed):
    created = create_app_automation(staff, installed["id"])

    assert created.status_code == 201, created.text
    automation = created.json()
    assert automation["hook_mode"] == "app"
    assert automation["installation"] == installed["id"]
    assert automation["disabled_reason"] == ""
    assert automation["payload_url"].endswith("/api/v1/github/app/webhook")
    assert sandbox.hooks() == []  # no repository webhook
    assert sandbox.requests("github.hooks") == []
    scopes = {s for e in sandbox.requests("github.token") for s in e["form"].get("scope", "")}
    assert "admin:repo_hook" not in "".join(scopes)


def test_a_release_posts_once_and_a_redelivery_or_a_resent_body_still_once(
        staff, sandbox, installed, processes):
    automation = create_app_automation(staff, installed["id"]).json()
    worker = processes("worker")

    [delivery] = sandbox.release("octocat/hello-world", "v2.0.0", "Version 2")

    assert delivery["status"] == 200
    [posted] = wait_for(lambda: page_posts(sandbox), what="the Page post", children=(worker,))
    assert "v2.0.0" in posted["message"]
    assert sandbox.redeliver(delivery["id"])["status"] == 200  # GitHub's "Redeliver"
    # The same signed body under a fresh X-GitHub-Delivery: keyed on what is signed, one post.
    [logged] = [e for e in sandbox.requests("github.webhook_delivery")
                if e["delivery"] == delivery["id"]][:1]
    body = logged["body"].encode()
    app = sandbox.github_app()
    resent = post_delivery(staff.base_url, body, app["webhook_secret"], event="release")
    assert resent.status_code == 200, resent.text
    assert wait_for(lambda: PagePost.objects.get().status == "published", what="published",
                    children=(worker,))
    assert PagePost.objects.count() == 1
    assert len(page_posts(sandbox)) == 1
    recorded = WebhookDelivery.objects.get(delivery_id=delivery["id"])
    assert (recorded.automation_id, recorded.outcome, recorded.times_received) == (
        automation["id"], "queued", 2)


def post_delivery(base_url, body, secret, *, event, delivery_id=None):
    return requests.post(f"{base_url}/api/v1/github/app/webhook", data=body, timeout=10,
                         headers={"Content-Type": "application/json", "X-GitHub-Event": event,
                                  "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
                                  "X-Hub-Signature-256": sign(secret, body)})


def release_body(installation_id, tag="v6.6.6"):
    return json.dumps({
        "action": "published", "installation": {"id": installation_id},
        "release": {"id": 991, "tag_name": tag, "draft": False, "html_url": "https://x/y"},
        "repository": {"id": 583231000, "full_name": "octocat/Hello-World"}}).encode()


def test_a_delivery_signed_with_another_secret_is_401_and_posts_nothing(
        staff, sandbox, installed):
    create_app_automation(staff, installed["id"])

    forged = post_delivery(staff.base_url, release_body(installed["id"]), "not-the-app-secret",
                           event="release")

    assert_error(forged, 401, "signature_invalid")
    assert PagePost.objects.count() == 0
    assert not WebhookDelivery.objects.filter(event="release").exists()  # nothing stored


def test_uninstall_disables_the_automation_and_a_later_release_posts_nothing(
        staff, sandbox, installed):
    automation = create_app_automation(staff, installed["id"]).json()

    [delivery] = sandbox.installation_action(installed["id"], "uninstall")

    assert delivery["status"] == 200
    after = staff.call("GET", f"{AUTOMATIONS}/{automation['id']}").json()
    assert (after["enabled"], after["disabled_reason"]) == (False, "installation_deleted")
    assert staff.call("GET", "/api/v1/github/app").json()["installations"] == []
    assert sandbox.release("octocat/hello-world", "v2.1.0") == []  # GitHub sends nothing
    # Even a correctly signed release for the old installation posts nothing.
    late = post_delivery(staff.base_url, release_body(installed["id"], "v2.1.0"),
                         sandbox.github_app()["webhook_secret"], event="release")
    assert late.status_code == 202
    assert PagePost.objects.count() == 0


def test_suspend_disables_and_unsuspend_makes_it_usable_again(staff, sandbox, installed,
                                                               processes):
    automation = create_app_automation(staff, installed["id"]).json()
    sandbox.installation_action(installed["id"], "suspend")
    after = staff.call("GET", f"{AUTOMATIONS}/{automation['id']}").json()
    assert (after["enabled"], after["disabled_reason"]) == (False, "installation_suspended")

    sandbox.installation_action(installed["id"], "unsuspend")

    again = staff.call("GET", f"{AUTOMATIONS}/{automation['id']}").json()
    assert (again["enabled"], again["disabled_reason"]) == (True, "")
    worker = processes("worker")
    sandbox.release("octocat/hello-world", "v3.0.0")
    [posted] = wait_for(lambda: page_posts(sandbox), what="the Page post", children=(worker,))
    assert "v3.0.0" in posted["message"]


def test_a_repository_removed_from_the_installation_disables_its_automation(
        staff, sandbox, installed):
    automation = create_app_automation(staff, installed["id"]).json()

    sandbox.installation_action(installed["id"], "remove-repositories",
                                repositories=["octocat/Hello-World"])

    after = staff.call("GET", f"{AUTOMATIONS}/{automation['id']}").json()
    assert (after["enabled"], after["disabled_reason"]) == (False, "repository_removed")
    enabling = staff.call("PATCH", f"{AUTOMATIONS}/{automation['id']}", json={"enabled": True})
    assert_error(enabling, 400, "installation_unavailable")


def test_someone_elses_installation_id_is_403_and_nothing_is_stored(staff, sandbox):
    theirs = sandbox.install_app("mona-org", ["mona-org/gallery"])
    also_theirs = sandbox.install_app("mona")
    for installation_id in (theirs, also_theirs, 999999):
        answer = staff.call("POST", "/api/v1/github/app/installations", json={
            "installation_id": installation_id, "setup_action": "install",
            "state": fresh_state(staff)})
        assert_error(answer, 403, "installation_not_yours")
    assert Installation.objects.count() == 0
    assert sandbox.requests(MINTS) == []  # refused before any token was minted


def test_a_replayed_or_missing_state_is_400_and_nothing_is_stored(staff, sandbox, installed):
    Installation.objects.all().delete()
    flow = OAuthFlow.objects.get(purpose="github_app_install")
    assert flow.consumed_at is not None
    replayed = staff.call("POST", "/api/v1/github/app/installations", json={
        "installation_id": installed["id"], "setup_action": "install", "state": "x" * 43})
    assert_error(replayed, 400, "state_invalid")
    missing = staff.call("POST", "/api/v1/github/app/installations", json={
        "installation_id": installed["id"], "setup_action": "install"})
    assert_error(missing, 400, "validation_error")
    assert Installation.objects.count() == 0


def test_a_get_never_creates_install_state(staff, sandbox):
    assert staff.call("GET", "/api/v1/github/app").status_code == 200
    assert staff.call("GET", "/api/v1/github/app/install").status_code == 405
    assert not OAuthFlow.objects.filter(purpose="github_app_install").exists()


def test_twenty_concurrent_jobs_needing_a_token_make_one_mint(staff, sandbox):
    installation_id = sandbox.install_app("octocat", ["octocat/Hello-World"])
    tokens = get_installation_tokens()
    barrier = threading.Barrier(20)
    got: list[str] = []

    def job():
        barrier.wait()
        got.append(tokens.token(installation_id))

    threads = [threading.Thread(target=job) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(got) == 20 and len(set(got)) == 1
    assert len(sandbox.requests(MINTS)) == 1


def test_twenty_worker_jobs_across_processes_make_one_mint(staff, sandbox, settings,
                                                           redis_url, processes):
    """The lock lives in the shared cache: three worker processes, one Redis, one mint."""
    from automations.tasks import sync_installation

    installation_id = sandbox.install_app("octocat", ["octocat/Hello-World"])
    Installation.objects.create(github_id=installation_id, account_login="octocat",
                                account_id=583231, account_type="User",
                                repository_selection="selected")
    settings.REDIS_URL = redis_url  # the workers' shared cache
    results = [sync_installation.enqueue(installation_id) for _ in range(20)]
    workers = [processes("worker") for _ in range(3)]

    def finished():
        for result in results:
            result.refresh()
        return all(r.status == "SUCCESSFUL" for r in results)

    assert wait_for(finished, timeout_s=90, what="20 sync jobs", children=tuple(workers))
    assert len(sandbox.requests(MINTS)) == 1
    assert Installation.objects.get().repositories == ["octocat/Hello-World"]


def test_a_jwt_the_sandbox_refuses_is_a_typed_error_not_a_500(staff, sandbox, settings):
    installation_id = sandbox.install_app("octocat", ["octocat/Hello-World"])
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings.GITHUB_APP_PRIVATE_KEY = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    clear_client_cache()

    answer = staff.call("POST", "/api/v1/github/app/installations", json={
        "installation_id": installation_id, "setup_action": "install",
        "state": fresh_state(staff)})

    body = assert_error(answer, 502, "github_app_misconfigured")
    assert "GITHUB_APP_PRIVATE_KEY" in body["message"]
    [refused] = sandbox.requests("github.app_installation")
    assert refused["headers"]["Authorization"].startswith("Bearer ey")
    assert Installation.objects.count() == 0


def test_an_organisation_installation_is_accepted_when_github_lists_it_for_that_person(
        live_server, settings, sandbox):
    """With a GitHub App sign-in (ghu_ tokens), GET /user/installations decides: mona
    administers mona-org, so she may connect its installation; octocat may not."""
    sandbox.config(github_app_type="github_app")
    settings.STAFF_GITHUB_LOGINS = ["octocat", "mona"]
    org_installation = sandbox.install_app("mona-org", ["mona-org/gallery"])
    octocat = Browser(live_server.url, settings.CSRF_COOKIE_NAME)
    sign_in(octocat, sandbox, user="octocat")
    refused = octocat.call("POST", "/api/v1/github/app/installations", json={
        "installation_id": org_installation, "setup_action": "install",
        "state": fresh_state(octocat)})
    assert_error(refused, 403, "installation_not_yours")

    mona = Browser(live_server.url, settings.CSRF_COOKIE_NAME)
    sign_in(mona, sandbox, user="mona")
    accepted = mona.call("POST", "/api/v1/github/app/installations", json={
        "installation_id": org_installation, "setup_action": "install",
        "state": fresh_state(mona)})

    assert accepted.status_code == 201, accepted.text
    assert (accepted.json()["account"], accepted.json()["account_type"]) == (
        "mona-org", "Organization")
    assert accepted.json()["repositories"] == ["mona-org/gallery"]
    listed = sandbox.requests("github.user_installations")
    assert [e["headers"]["Authorization"][:11] for e in listed] == ["Bearer ghu_"] * 2


def test_a_state_from_another_session_is_refused(live_server, settings, staff, sandbox):
    installation_id = sandbox.install_app("octocat", ["octocat/Hello-World"])
    stolen = fresh_state(staff)
    other = Browser(live_server.url, settings.CSRF_COOKIE_NAME)
    sign_in(other, sandbox, user="octocat")
    answer = other.call("POST", "/api/v1/github/app/installations", json={
        "installation_id": installation_id, "setup_action": "install", "state": stolen})
    assert_error(answer, 400, "state_mismatch")
    assert Installation.objects.count() == 0


def test_a_missed_uninstall_is_noticed_by_the_next_sync(staff, sandbox, installed):
    from automations.installations import sync_installation

    automation = create_app_automation(staff, installed["id"]).json()
    sandbox.github_app(webhook_url="http://127.0.0.1:9/unreachable")  # the event is lost
    sandbox.installation_action(installed["id"], "uninstall")
    assert Automation.objects.get(pk=automation["id"]).enabled  # nobody told us yet

    assert sync_installation(installed["id"]) is None

    after = Automation.objects.get(pk=automation["id"])
    assert (after.enabled, after.disabled_reason) == (False, "installation_deleted")
    assert Installation.objects.get().deleted_at is not None


def test_a_cached_token_github_no_longer_accepts_is_replaced_once(staff, sandbox, installed):
    from automations.installations import read_repositories

    sandbox.fault("github.installation_repositories", "invalid_token")  # one 401
    assert read_repositories(installed["id"]) == ("octocat/Hello-World",)
    assert len(sandbox.requests(MINTS)) == 2  # the connect's token, then a fresh one
