"""The sandbox's repository webhooks: the hooks API, its permission checks, and signed
deliveries (release, redeliver) in GitHub's shape."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.sandbox.helpers import TIMEOUT

SECRET = "s3cret-for-this-hook"


class Receiver:
    """A throwaway HTTP server on a free port that records what it is sent."""

    def __init__(self, status: int = 200) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.headers, body))  # case-insensitive
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def hooks_url(sb, repo: str = "octocat/Hello-World") -> str:
    return f"{sb.github_api_url}/repos/{repo}/hooks"


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def create_hook(sb, token: str, url: str, repo: str = "octocat/hello-world",
                events=("release",)) -> requests.Response:
    return requests.post(hooks_url(sb, repo), headers=auth(token), timeout=TIMEOUT, json={
        "name": "web", "active": True, "events": list(events),
        "config": {"url": url, "content_type": "json", "secret": SECRET}})


def token_for(sb, user: str, scopes: list[str]) -> str:
    return sb.mint_token("github", user, scopes=scopes)["access_token"]


def test_owner_with_admin_repo_hook_creates_lists_and_deletes_a_hook(sb, receiver):
    token = token_for(sb, "octocat", ["read:user", "admin:repo_hook"])
    created = create_hook(sb, token, receiver.url)
    assert created.status_code == 201
    hook = created.json()
    assert hook["config"] == {"url": receiver.url, "content_type": "json",
                              "insecure_ssl": "0", "secret": "********"}
    assert hook["events"] == ["release"] and hook["active"] is True
    listed = requests.get(hooks_url(sb), headers=auth(token), timeout=TIMEOUT).json()
    assert [h["id"] for h in listed] == [hook["id"]]
    gone = requests.delete(f"{hooks_url(sb)}/{hook['id']}", headers=auth(token),
                           timeout=TIMEOUT)
    assert gone.status_code == 204
    assert requests.get(hooks_url(sb), headers=auth(token), timeout=TIMEOUT).json() == []
    again = requests.delete(f"{hooks_url(sb)}/{hook['id']}", headers=auth(token),
                            timeout=TIMEOUT)
    assert again.status_code == 404


def test_repo_scope_also_administers_hooks(sb, receiver):
    token = token_for(sb, "octocat", ["repo"])
    assert create_hook(sb, token, receiver.url).status_code == 201


def test_mona_cannot_create_a_hook_on_octocats_repository(sb, receiver):
    token = token_for(sb, "mona", ["admin:repo_hook"])
    refused = create_hook(sb, token, receiver.url)
    assert refused.status_code == 404
    assert refused.json()["message"] == "Not Found"
    assert sb.hooks() == []


def test_a_token_without_a_hook_scope_is_refused_with_the_accepted_scopes(sb, receiver):
    token = token_for(sb, "octocat", ["read:user", "user:email"])
    refused = create_hook(sb, token, receiver.url)
    assert refused.status_code == 404
    assert "admin:repo_hook" in refused.headers["X-Accepted-OAuth-Scopes"]


def test_unknown_repository_and_missing_token_are_refused(sb, receiver):
    token = token_for(sb, "octocat", ["admin:repo_hook"])
    assert create_hook(sb, token, receiver.url, repo="octocat/nope").status_code == 404
    assert requests.get(hooks_url(sb), timeout=TIMEOUT).status_code == 401


def test_release_delivers_a_signed_release_event_to_every_hook(sb, receiver):
    token = token_for(sb, "octocat", ["admin:repo_hook"])
    hook = create_hook(sb, token, receiver.url).json()
    create_hook(sb, token, receiver.url, repo="octocat/Spoon-Knife")  # another repository

    deliveries = sb.release("octocat/hello-world", "v1.2.0", "Version 1.2")

    assert [(d["hook_id"], d["url"], d["status"]) for d in deliveries] == [
        (hook["id"], receiver.url, 200)]
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert headers["X-GitHub-Event"] == "release"
    assert headers["X-GitHub-Delivery"] == deliveries[0]["id"]
    assert headers["User-Agent"].startswith("GitHub-Hookshot/")
    assert headers["Content-Type"] == "application/json"
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == "sha256=" + expected
    payload = json.loads(body)
    assert payload["action"] == "published"
    assert payload["release"]["tag_name"] == "v1.2.0"
    assert payload["release"]["name"] == "Version 1.2"
    assert payload["release"]["html_url"].endswith("/octocat/Hello-World/releases/tag/v1.2.0")
    assert payload["release"]["author"]["login"] == "octocat"
    assert payload["repository"]["full_name"] == "octocat/Hello-World"


def test_redeliver_sends_the_same_delivery_again(sb, receiver):
    token = token_for(sb, "octocat", ["admin:repo_hook"])
    create_hook(sb, token, receiver.url)
    first = sb.release("octocat/Hello-World", "v1.2.0")[0]

    again = sb.redeliver(first["id"])

    assert again["id"] == first["id"] and again["status"] == 200
    (h1, b1), (h2, b2) = receiver.received
    assert b1 == b2 and h1["X-GitHub-Delivery"] == h2["X-GitHub-Delivery"]
    assert h1["X-Hub-Signature-256"] == h2["X-Hub-Signature-256"]


def test_deliveries_appear_in_the_request_log_with_the_receivers_status(sb):
    failing = Receiver(status=401)
    try:
        token = token_for(sb, "octocat", ["admin:repo_hook"])
        create_hook(sb, token, failing.url)
        delivery = sb.release("octocat/Hello-World", "v2.0.0")[0]
    finally:
        failing.close()
    assert delivery["status"] == 401
    logged = sb.requests("github.webhook_delivery")
    assert [(e["delivery"], e["status"], e["path"]) for e in logged] == [
        (delivery["id"], 401, failing.url)]
    assert logged[0]["headers"]["X-GitHub-Event"] == "release"


def test_release_on_a_repository_without_hooks_delivers_nothing(sb):
    assert sb.release("octocat/Hello-World", "v1.0.0") == []


def test_release_and_redeliver_refuse_bad_input(sb):
    bad = requests.post(sb.url + "/_sandbox/github/releases", json={"repo": "nobody/x",
                                                                    "tag": "v1"},
                        timeout=TIMEOUT)
    assert bad.status_code == 400
    unknown = requests.post(sb.url + "/_sandbox/github/redeliver",
                            json={"delivery": "nope"}, timeout=TIMEOUT)
    assert unknown.status_code == 404
