"""Usage headers are read on every answer, and near the limit the clients back off before
spending the last calls (issue 16 item 6; PROVIDERS.md A8 and B13)."""

import json
from datetime import timedelta

import pytest

from integrations.errors import ProviderRateLimited
from integrations.usage import APP_BUDGET, ProviderUsage, token_budget_key

from .conftest import GH_API, GRAPH, NOW

TOKEN = "gho_SENTINELACCESS"
USER = {"id": 583231, "login": "octocat"}
RESET = int(NOW.timestamp()) + 600


def github_usage(remaining, limit=5000, reset=RESET):
    return {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-used": str(limit - remaining), "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core"}


# --- GitHub: X-RateLimit-* on successful answers -------------------------------------------


def test_github_usage_is_read_from_a_successful_answer(github_client, rsps):
    rsps.get(f"{GH_API}/user", json=USER, headers=github_usage(remaining=4990))
    github_client.get_profile(TOKEN)
    usage = github_client.budget.usage[("github", token_budget_key(TOKEN))]
    assert usage.remaining == 4990 and usage.limit == 5000
    assert usage.used_percent == pytest.approx(0.2)
    assert usage.resets_at == NOW + timedelta(seconds=600)


def test_github_backs_off_at_90_percent_before_spending_the_last_calls(github_client, rsps):
    rsps.get(f"{GH_API}/user", json=USER, headers=github_usage(remaining=500))  # 90 % used
    github_client.get_profile(TOKEN)
    with pytest.raises(ProviderRateLimited) as info:
        github_client.list_repos(TOKEN)  # not sent: `rsps` would fail on an unmocked call
    assert info.value.retry_after_s == 600
    assert info.value.response_headers() == {"Retry-After": "600"}
    assert len(rsps.calls) == 1


def test_github_below_90_percent_keeps_calling(github_client, rsps):
    rsps.get(f"{GH_API}/user", json=USER, headers=github_usage(remaining=501))
    rsps.get(f"{GH_API}/user/repos", json=[], headers=github_usage(remaining=500))
    github_client.get_profile(TOKEN)
    github_client.list_repos(TOKEN)
    assert len(rsps.calls) == 2


def test_github_budget_is_per_token(github_client, rsps):
    rsps.get(f"{GH_API}/user", json=USER, headers=github_usage(remaining=10))
    rsps.get(f"{GH_API}/user", json=USER, headers=github_usage(remaining=4999))
    github_client.get_profile(TOKEN)
    github_client.get_profile("gho_SENTINELOTHER")  # another person's budget is untouched


def test_github_budget_resets_when_github_says(github_client, rsps):
    rsps.get(f"{GH_API}/user", json=USER, headers=github_usage(remaining=0, reset=RESET))
    rsps.get(f"{GH_API}/user", json=USER, headers=github_usage(remaining=4999))
    github_client.get_profile(TOKEN)
    with pytest.raises(ProviderRateLimited):
        github_client.get_profile(TOKEN)
    github_client.now = lambda: NOW + timedelta(seconds=601)
    github_client.get_profile(TOKEN)


def test_a_sign_ins_new_token_is_not_asked_about_and_reported_once(github_client, rsps):
    """A token minted by this sign-in has no budget recorded yet: its two reads do not ask
    (a cache round trip each), and only /user's answer is stored."""
    github_client.budget.usage[("github", token_budget_key(TOKEN))] = ProviderUsage(
        provider="github", key=token_budget_key(TOKEN), used_percent=100.0,
        resets_at=NOW + timedelta(seconds=600), remaining=0, limit=5000)  # would refuse
    rsps.get(f"{GH_API}/user", json=USER, headers=github_usage(remaining=4990))
    rsps.get(f"{GH_API}/user/emails", json=[], headers=github_usage(remaining=4989))
    github_client.get_profile(TOKEN, new_token=True)
    assert github_client.budget.usage[("github", token_budget_key(TOKEN))].remaining == 4990
    github_client.get_primary_verified_email(TOKEN, new_token=True)
    assert github_client.budget.usage[("github", token_budget_key(TOKEN))].remaining == 4990
    assert len(rsps.calls) == 2


def test_github_error_answers_count_too(github_client, rsps):
    rsps.get(f"{GH_API}/user", status=404, json={"message": "Not Found"},
             headers=github_usage(remaining=100))
    with pytest.raises(Exception):  # noqa: B017 - what matters is what was recorded
        github_client.get_profile(TOKEN)
    assert github_client.budget.usage[("github", token_budget_key(TOKEN))].remaining == 100


# --- Facebook: X-App-Usage / X-Business-Use-Case-Usage on successful answers ----------------


def app_usage(percent):
    return {"X-App-Usage": json.dumps({"call_count": percent, "total_time": 1,
                                       "total_cputime": 1})}


def test_facebook_app_usage_is_read_from_a_successful_answer(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me", json={"id": "1", "name": "A"},
             headers={"X-App-Usage": json.dumps({"call_count": 3, "total_time": 28,
                                                 "total_cputime": 12})})
    facebook_client.get_me("EAATOKEN")
    usage = facebook_client.budget.usage[("facebook", APP_BUDGET)]
    assert usage.used_percent == 28 and usage.remaining_percent == 72


def test_facebook_backs_off_at_90_percent_of_app_usage(facebook_client, rsps):
    rsps.get(f"{GRAPH}/me", json={"id": "1"}, headers=app_usage(91))
    facebook_client.get_me("EAATOKEN")
    with pytest.raises(ProviderRateLimited) as info:
        facebook_client.list_pages("EAATOKEN")
    assert info.value.retry_after_s == 60
    assert len(rsps.calls) == 1


def test_facebook_business_use_case_usage_and_its_regain_time(facebook_client, rsps):
    buc = {"1234": [{"type": "pages", "call_count": 95, "total_cputime": 10, "total_time": 10,
                     "estimated_time_to_regain_access": 7}]}
    rsps.post(f"{GRAPH}/1234/feed", json={"id": "1234_1"},
              headers={"X-Business-Use-Case-Usage": json.dumps(buc), **app_usage(5)})
    facebook_client.publish_to_page("1234", "EAAPAGE", "hello")
    with pytest.raises(ProviderRateLimited) as info:
        facebook_client.publish_to_page("1234", "EAAPAGE", "again")
    assert info.value.retry_after_s == 7 * 60


def test_facebook_never_blocks_a_code_exchange(facebook_client, rsps):
    """A code lives minutes: the last calls are kept for it."""
    facebook_client.budget.record(
        ProviderUsage("facebook", APP_BUDGET, 99.0, NOW + timedelta(minutes=5)))
    rsps.post(f"{GRAPH}/oauth/access_token",
              json={"access_token": "EAASHORT", "token_type": "bearer", "expires_in": 3600})
    assert facebook_client.exchange_code("CODE", "https://app.test/cb").access_token == "EAASHORT"


@pytest.mark.parametrize("header", [
    "not json", json.dumps([1, 2]), json.dumps({"call_count": "many"}), json.dumps({}),
])
def test_unreadable_usage_headers_are_ignored(facebook_client, rsps, header):
    rsps.get(f"{GRAPH}/me", json={"id": "1"}, headers={"X-App-Usage": header})
    facebook_client.get_me("EAATOKEN")
    assert facebook_client.budget.usage == {}
