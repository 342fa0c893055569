"""`--state-file`: a restarted sandbox still knows the tokens, grants, posts and hooks it issued
(`make run` keeps it under its run directory, so a restart leaves an earlier link usable)."""

import json
import stat

import pytest

from integrations.sandbox.config import SandboxConfig
from integrations.sandbox.persistence import StateFile, restore, snapshot
from integrations.sandbox.state import Store
from tests.fixtures.sandbox import start_sandbox, stop_sandbox
from tests.sandbox.helpers import (
    APP_TOKEN,
    FB_CALLBACK,
    GH_CALLBACK,
    check_token,
    fb_user_token,
    github_token,
    graph,
    page_token,
)

ALEX_BAKERY = "1000000000000101"


def started(path):
    handle = start_sandbox({"SANDBOX_STATE_FILE": str(path),
                            "SANDBOX_GITHUB_REDIRECT_URIS": GH_CALLBACK,
                            "SANDBOX_FACEBOOK_REDIRECT_URIS": FB_CALLBACK})
    return handle


def test_a_restarted_sandbox_still_accepts_the_tokens_it_issued(tmp_path):
    path = tmp_path / "run" / "sandbox-state.json"
    first = started(path)
    try:
        user = fb_user_token(first, "sam")
        page = page_token(first, user, "1000000000000201")
        github = github_token(first, "octocat")["access_token"]
        graph(first, "POST", "/1000000000000201/feed", page, message="before the restart")
        first.config(facebook_long_lived_ttl_s=86400)
    finally:
        stop_sandbox(first)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds tokens

    second = started(path)
    try:
        for token in (user, page):
            data = graph(second, "GET", "/debug_token", APP_TOKEN, input_token=token).json()
            assert data["data"]["is_valid"] is True, data
        assert check_token(second, github).status_code == 200
        posts = graph(second, "GET", "/1000000000000201/published_posts", page).json()["data"]
        assert [p["message"] for p in posts] == ["before the restart"]
        assert second.config()["facebook_long_lived_ttl_s"] == 86400
        second.reset()  # a reset is kept too: the next start is fresh
    finally:
        stop_sandbox(second)
    third = started(path)
    try:
        data = graph(third, "GET", "/debug_token", APP_TOKEN, input_token=user).json()
        assert data["data"]["is_valid"] is False
    finally:
        stop_sandbox(third)


def test_snapshot_round_trips_through_json():
    store = Store(config=SandboxConfig())
    store.next_id()
    store.facebook_declined["sam"] = {"pages_manage_posts"}
    store.facebook_page_tokens[("parent", "201")] = "page-token"
    copy = Store(config=SandboxConfig())
    restore(copy, json.loads(json.dumps(snapshot(store))))
    assert copy.facebook_declined == {"sam": {"pages_manage_posts"}}
    assert copy.facebook_page_tokens == {("parent", "201"): "page-token"}
    assert copy.next_id() == store.next_id() == 2


def test_a_state_file_of_another_version_is_refused(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 99}))
    with pytest.raises(ValueError, match="version"):
        StateFile(path).load_into(Store(config=SandboxConfig()))


def test_a_restarted_sandbox_still_knows_its_github_app_installations(tmp_path):
    path = tmp_path / "run" / "sandbox-state.json"
    first = started(path)
    try:
        installed = first.install_app("octocat", ["octocat/Hello-World"])
        first.installation_action(installed, "suspend")
    finally:
        stop_sandbox(first)
    second = started(path)
    try:
        [installation] = second._control("GET", "github/installations")["installations"]
        assert (installation["id"], installation["repositories"]) == (
            installed, ["octocat/Hello-World"])
        assert installation["suspended_at"] is not None
    finally:
        stop_sandbox(second)
