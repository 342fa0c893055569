"""Fault injection, latency, the request log and the other control calls."""

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.fixtures.sandbox import SandboxError
from tests.sandbox.helpers import (
    APP_TOKEN,
    FB_SECRET,
    TIMEOUT,
    check_token,
    exchange,
    fb_code,
    fb_exchange,
    fb_user_token,
    github_api,
    github_code,
    github_token,
    graph,
    page_token,
)


def test_timeout_fault_delays_the_answer_past_the_client_timeout(sb):
    token = github_token(sb)["access_token"]
    sb.fault("github.user", "timeout", seconds=0.5)
    with pytest.raises(requests.ReadTimeout):
        requests.get(sb.github_api_url + "/user", timeout=0.2,
                     headers={"Authorization": f"Bearer {token}"})
    assert github_api(sb, "/user", token).status_code == 200  # count=1: gone again


def test_timeout_fault_without_processing_answers_504(sb):
    sb.fault("facebook.me", "timeout", seconds=0.05, process=False)
    response = graph(sb, "GET", "/me", fb_user_token(sb))
    assert response.status_code == 504 and response.json()["error"]["code"] == 2


def test_5xx_fault_uses_the_given_status_for_count_calls(sb):
    token = github_token(sb)["access_token"]
    sb.fault("github.repos", "5xx", count=2, status=503)
    assert [github_api(sb, "/user/repos", token).status_code for _ in range(3)] == [503, 503, 200]
    sb.fault("facebook.accounts", "5xx")
    response = graph(sb, "GET", "/me/accounts", fb_user_token(sb))
    assert response.status_code == 500 and response.json()["error"]["is_transient"] is True


def test_html_fault_answers_html_instead_of_json(sb):
    code, verifier = github_code(sb)
    sb.fault("github.token", "html")
    response = exchange(sb, code, verifier)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    sb.fault("facebook.debug_token", "html", status=502)
    response = graph(sb, "GET", "/debug_token", APP_TOKEN, input_token="x")
    assert response.status_code == 502 and response.text.startswith("<!DOCTYPE html>")


def test_github_rate_limit_is_403_with_remaining_zero_and_a_reset(sb):
    token = github_token(sb)["access_token"]
    sb.fault("github.user", "rate_limit")
    response = github_api(sb, "/user", token)
    assert response.status_code == 403
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["x-ratelimit-reset"]) > time.time()
    assert "rate limit" in response.json()["message"]


def test_github_rate_limit_can_be_429_with_retry_after(sb):
    token = github_token(sb)["access_token"]
    sb.fault("github.emails", "rate_limit", status=429, retry_after=7)
    response = github_api(sb, "/user/emails", token)
    assert response.status_code == 429 and response.headers["retry-after"] == "7"


@pytest.mark.parametrize("code", [4, 17, 32])
def test_graph_rate_limit_codes(sb, code):
    token = page_token(sb, fb_user_token(sb))
    sb.fault("facebook.feed", "rate_limit", code=code)
    response = graph(sb, "POST", "/1000000000000101/feed", token, message="x")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and error["message"].startswith(f"(#{code})")
    usage = response.headers.get("X-Business-Use-Case-Usage") or response.headers["X-App-Usage"]
    assert "100" in usage


def test_github_invalid_token_fault_is_401_and_can_revoke(sb):
    token = github_token(sb)["access_token"]
    sb.fault("github.user", "invalid_token")
    assert github_api(sb, "/user", token).json()["message"] == "Bad credentials"
    assert github_api(sb, "/user", token).status_code == 200
    sb.fault("github.repos", "invalid_token", revoke=True)
    assert github_api(sb, "/user/repos", token).status_code == 401
    assert github_api(sb, "/user", token).status_code == 401
    assert check_token(sb, token).status_code == 404


@pytest.mark.parametrize("subcode", [463, 467])
def test_graph_invalid_token_fault_is_190_with_subcode(sb, subcode):
    user = fb_user_token(sb)
    sb.fault("facebook.me", "invalid_token", subcode=subcode)
    error = graph(sb, "GET", "/me", user).json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, subcode)


def test_invalid_token_fault_on_debug_token_is_200_with_is_valid_false(sb):
    user = fb_user_token(sb)
    sb.fault("facebook.debug_token", "invalid_token")
    response = graph(sb, "GET", "/debug_token", APP_TOKEN, input_token=user)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["is_valid"] is False and data["error"]["subcode"] == 463


def test_unknown_fault_endpoint_or_kind_is_refused(sb):
    with pytest.raises(SandboxError):
        sb.fault("github.nope", "5xx")
    with pytest.raises(SandboxError):
        sb.fault("github.user", "explode")


def test_latency_applies_to_provider_calls(sb):
    sb.set_latency(150)
    started = time.monotonic()
    github_api(sb, "/user", "gho_x")
    assert time.monotonic() - started >= 0.15
    sb.set_latency(0)


def test_request_log_records_endpoint_and_what_was_sent(sb):
    code, verifier = github_code(sb)
    exchange(sb, code, verifier)
    [logged] = sb.requests("github.token")
    assert logged["method"] == "POST" and logged["path"] == "/github/login/oauth/access_token"
    assert logged["form"]["code_verifier"] == verifier and logged["query"] == {}
    assert logged["headers"]["Accept"] == "application/json"
    assert {e["endpoint"] for e in sb.requests()} >= {"github.authorize", "github.token"}


def test_reset_forgets_tokens_and_config(sb):
    sb.config(github_expiring_tokens=True)
    token = github_token(sb)["access_token"]
    sb.reset()
    assert github_api(sb, "/user", token).status_code == 401
    assert sb.config()["github_expiring_tokens"] is False
    assert [e["endpoint"] for e in sb.requests()] == ["github.user"]  # only the call above


def test_config_rejects_unknown_keys_and_hides_secrets(sb):
    with pytest.raises(SandboxError):
        sb.config(github_token_ttl=5)
    shown = sb.config()
    assert "github_client_secret" not in shown and "facebook_app_secret" not in shown


def test_minted_tokens_work_without_the_browser_dance(sb):
    github = sb.mint_token("github", "mona", scopes=["read:user"])
    assert github_api(sb, "/user", github["access_token"]).json()["login"] == "mona"
    facebook = sb.mint_token("facebook", "sam", scopes=["pages_show_list"])
    assert len(graph(sb, "GET", "/me/accounts", facebook["access_token"]).json()["data"]) == 1
    foreign = sb.mint_token("facebook", "sam", app_id="999")["access_token"]
    data = graph(sb, "GET", "/debug_token", APP_TOKEN, input_token=foreign).json()["data"]
    assert data["app_id"] == "999"


def _verify(signed: str, secret: str) -> dict:
    signature, payload = signed.split(".")
    assert "=" not in signed
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "==") == expected
    return json.loads(base64.urlsafe_b64decode(payload + "=="))


def test_signed_request_tool_builds_a_valid_value(sb):
    from integrations.sandbox import build_signed_request

    payload = _verify(build_signed_request("218471", "s3cret", issued_at=1), "s3cret")
    assert payload == {"algorithm": "HMAC-SHA256", "issued_at": 1, "user_id": "218471"}
    assert _verify(sb.signed_request("112233445566778"), FB_SECRET)["user_id"] == (
        "112233445566778")
    cli = subprocess.run(
        [sys.executable, "-m", "integrations.sandbox", "signed-request", "42", "--secret", "k",
         "--payload", '{"expires": 5}'], capture_output=True, text=True, check=True,
        timeout=TIMEOUT)
    assert _verify(cli.stdout.strip(), "k")["expires"] == 5


def test_sandbox_serves_avatars_and_reports_health(sb):
    health = requests.get(sb.url + "/_sandbox/health", timeout=TIMEOUT).json()
    assert health["status"] == "ok" and "facebook.feed" in health["endpoints"]
    svg = requests.get(sb.url + "/avatars/octocat.svg", timeout=TIMEOUT)
    assert svg.headers["Content-Type"] == "image/svg+xml" and svg.text.startswith("<svg")


def test_racing_exchanges_of_one_code_yield_exactly_one_token(sb):
    code, verifier = github_code(sb)
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: exchange(sb, code, verifier).json(), range(8)))
    assert sum("access_token" in body for body in bodies) == 1
    facebook = fb_code(sb)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: fb_exchange(sb, facebook), range(8)))
    assert sorted(a.status_code for a in answers) == [200] + [400] * 7
