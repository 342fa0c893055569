"""/metrics: refused without the token, and the counters move with sign-ins, posts and errors."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from integrations.metrics import endpoint_template
from integrations.models import FacebookPageLink
from integrations.services.facebook.linking import unlink_facebook_page
from tests.fixtures.github import GITHUB, callback, sign_in, start

pytestmark = pytest.mark.django_db
TOKEN = "metrics-SENTINEL-token-0123456789"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_is_not_found_without_a_configured_token(api_client, settings):
    settings.METRICS_TOKEN = ""
    response = api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer wrong", f"Token {TOKEN}",
                                    f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"])
def test_metrics_refuses_a_missing_or_wrong_token(api_client, metrics_token, header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = api_client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "oauth_bridge" not in response.content.decode()


def test_metrics_is_not_in_the_public_api_schema(api_client):
    schema = api_client.get("/api/v1/schema", HTTP_ACCEPT="application/json").content.decode()
    assert "/metrics" not in schema and "oauth_bridge_" not in schema


def test_sign_in_counts_the_sign_in_and_each_provider_call(api_client, github, metrics_token):
    before = scrape(api_client)
    response = sign_in(api_client, github)
    assert response.status_code == 200
    after = scrape(api_client)
    signins = "oauth_bridge_signins_total"
    assert value(after, signins, provider="github", client="browser", outcome="success") == \
        value(before, signins, provider="github", client="browser", outcome="success") + 1
    calls = "oauth_bridge_provider_requests_total"
    for endpoint in ("/login/oauth/access_token", "/user", "/user/emails"):
        labels = {"provider": "github", "endpoint": endpoint, "status": "200"}
        assert value(after, calls, **labels) == value(before, calls, **labels) + 1
        seconds = "oauth_bridge_provider_request_seconds_count"
        assert value(after, seconds, provider="github", endpoint=endpoint) == \
            value(before, seconds, provider="github", endpoint=endpoint) + 1
    route = {"route": "api/v1/auth/github/callback", "method": "POST", "status": "200"}
    assert value(after, "oauth_bridge_http_request_seconds_count", **route) == \
        value(before, "oauth_bridge_http_request_seconds_count", **route) + 1


def test_provider_error_counts_the_status_and_the_refused_sign_in(api_client, github,
                                                                  metrics_token):
    before = scrape(api_client)
    github.post(f"{GITHUB}/login/oauth/access_token", status=503, body="down")
    response = callback(api_client, code="the-code", state=start(api_client)["state"])
    assert response.status_code == 502
    after = scrape(api_client)
    labels = {"provider": "github", "endpoint": "/login/oauth/access_token", "status": "503"}
    calls = "oauth_bridge_provider_requests_total"
    assert value(after, calls, **labels) == value(before, calls, **labels) + 1
    refused = {"provider": "github", "client": "browser", "outcome": "provider_unavailable"}
    assert value(after, "oauth_bridge_signins_total", **refused) == \
        value(before, "oauth_bridge_signins_total", **refused) + 1


def test_refused_sign_in_is_counted_by_reason(api_client, metrics_token):
    before = scrape(api_client)
    callback(api_client, code="the-code", state="A" * 43)
    callback(api_client, code="x\nFAKE", state="A" * 43)
    after = scrape(api_client)
    for outcome in ("state_invalid", "validation_error"):
        labels = {"provider": "github", "client": "browser", "outcome": outcome}
        assert value(after, "oauth_bridge_signins_total", **labels) == \
            value(before, "oauth_bridge_signins_total", **labels) + 1


def test_page_posts_are_counted_by_outcome(staff_client, linked, metrics_token):
    from integrations.errors import TokenInvalid

    before = scrape(staff_client)
    url = "/api/v1/facebook/page/posts"
    assert staff_client.post(url, {"message": "Hello"}, format="json",
                             HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    linked.fail["publish_to_page"] = TokenInvalid(provider="facebook")
    assert staff_client.post(url, {"message": "Again"}, format="json",
                             HTTP_IDEMPOTENCY_KEY="k-2").status_code >= 400
    after = scrape(staff_client)
    for outcome in ("published", "failed"):
        assert value(after, "oauth_bridge_page_posts_total", outcome=outcome) == \
            value(before, "oauth_bridge_page_posts_total", outcome=outcome) + 1


def test_throttled_requests_are_counted_by_scope(api_client, metrics_token, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "oauth_start": "1/min"}}
    before = scrape(api_client)
    api_client.post("/api/v1/auth/github/authorize", {}, format="json")
    assert api_client.post("/api/v1/auth/github/authorize", {}, format="json").status_code == 429
    after = scrape(api_client)
    assert value(after, "oauth_bridge_throttled_total", scope="oauth_start") == \
        value(before, "oauth_bridge_throttled_total", scope="oauth_start") + 1


def test_token_expiry_gauges_follow_the_page_link(staff_client, linked, metrics_token):
    link = FacebookPageLink.get_solo()
    samples = scrape(staff_client)
    gauge = "oauth_bridge_facebook_token_expiry_timestamp_seconds"
    assert value(samples, gauge, token="user") == link.user_token_expires_at.timestamp()
    assert value(samples, gauge, token="data_access") == \
        link.data_access_expires_at.timestamp()
    assert value(samples, gauge, token="page") == float("inf")
    unlink_facebook_page()
    assert not [key for key in scrape(staff_client) if key[0] == gauge]


def test_unmatched_paths_are_one_route_label(api_client, metrics_token):
    api_client.get("/no/such/SENTINEL-1")
    api_client.get("/no/such/SENTINEL-2")
    text = api_client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert 'route="unmatched"' in text and "SENTINEL" not in text


@pytest.mark.parametrize(("url", "template"), [
    ("https://github.com/login/oauth/access_token", "/login/oauth/access_token"),
    ("https://api.github.com/applications/Iv1.8a61f9b3a7aba766/grant",
     "/applications/{id}/grant"),
    ("https://graph.facebook.com/v25.0/debug_token?input_token=EAASENTINEL",
     "/{version}/debug_token"),
    ("https://graph.facebook.com/v25.0/1234567890/feed", "/{version}/{id}/feed"),
    ("http://127.0.0.1:8001/facebook/graph/v25.0/me/accounts",
     "/facebook/graph/{version}/me/accounts"),
    # Issue 23: lowercase names from data are data too.
    ("http://127.0.0.1:8765/github/api/v3/repos/octocat/dotfiles/hooks",
     "/github/api/{version}/repos/{id}/{id}/hooks"),
    ("https://api.github.com/repos/octocat/hooks/hooks/12", "/repos/{id}/{id}/hooks/{id}"),
    ("https://ghe.example.com/api/v3/users/mona", "/api/{version}/users/{id}"),
    ("https://api.github.com/applications/lowercaseclientid/token",
     "/applications/{id}/token"),
    ("https://api.github.com/orgs/acme/secretproject", "/orgs/{id}/{id}"),
])
def test_provider_endpoints_are_templates_without_ids_or_tokens(url, template):
    assert endpoint_template(url) == template


def test_task_queue_depth_and_failures_are_read_from_the_queue(api_client, metrics_token):
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from integrations.tasks import check_tokens, sweep

    assert value(scrape(api_client), "oauth_bridge_task_queue_depth", queue="default") == 0
    check_tokens.enqueue()
    failed = sweep.enqueue()
    DBTaskResult.objects.filter(id=failed.id).update(status=TaskResultStatus.FAILED)
    samples = scrape(api_client)
    assert value(samples, "oauth_bridge_task_queue_depth", queue="default") == 1
    assert value(samples, "oauth_bridge_tasks_failed", queue="default") == 1


@pytest.mark.parametrize(("token", "warned"), [
    ("short", True), ("x" * 31, True), ("x" * 32, False), ("", False)])
def test_a_metrics_token_under_32_characters_is_warned_about(settings, token, warned):
    """Issue 23: `manage.py check` (and start-up) warn about a guessable METRICS_TOKEN."""
    from django.core.checks import run_checks

    settings.METRICS_TOKEN = token
    found = [m for m in run_checks() if m.id == "integrations.W003"]
    assert bool(found) is warned
    if warned:
        assert token not in found[0].msg and "32" in found[0].msg
