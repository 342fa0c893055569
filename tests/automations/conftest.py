"""Automations: a staff member signed in with GitHub (token scopes chosen per test), GitHub's
hook endpoints mocked with `responses`, and signed deliveries to our webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from integrations.models import GitHubAccount
from integrations.models.facebook import MANAGE_PERMISSION_CODENAME
from tests.fixtures.github import ACCESS_TOKEN, API

HOOKS = f"{API}/repos/octocat/hello-world/hooks"
TEMPLATE = "{repository} {tag} is out: {name} by {author} {url}"


def make_staff(username: str = "octo-staff", scopes: str = "read:user,user:email,admin:repo_hook",
               github_id: int = 583231, login: str = "octocat"):
    """Staff allowed to manage the Page (automations post to it), signed in with GitHub."""
    user = get_user_model().objects.create_user(username, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename=MANAGE_PERMISSION_CODENAME))
    GitHubAccount.objects.create(user=user, github_id=github_id, login=login,
                                 access_token=ACCESS_TOKEN, scopes=scopes)
    return get_user_model().objects.get(pk=user.pk)  # no stale permission cache


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def hook_staff(db):
    return make_staff()


@pytest.fixture
def hook_client(hook_staff):
    return client_for(hook_staff)


def hook_answer(hook_id: int = 4242, url: str = "http://127.0.0.1:8000/api/v1/github/webhook"):
    return {"type": "Repository", "id": hook_id, "name": "web", "active": True,
            "events": ["release", "create"],
            "config": {"url": url, "content_type": "json", "insecure_ssl": "0",
                       "secret": "********"}}


def create(client, **fields):
    body = {"repository": "octocat/hello-world", "events": ["release"],
            "message_template": TEMPLATE, **fields}
    return client.post("/api/v1/automations", body, format="json")


REPOSITORY_ID = 1296269


def release_id_of(tag: str) -> int:
    """A stable release id per tag (GitHub's ids are per release, not per delivery)."""
    return 100000 + int.from_bytes(hashlib.sha256(tag.encode()).digest()[:3], "big")


def release_payload(tag: str = "v1.2.0", repo: str = "octocat/Hello-World",
                    action: str = "published", *, release_id: int | None = None,
                    repository_id: int = REPOSITORY_ID, notes: str = "") -> dict:
    return {"action": action,
            "release": {"id": release_id or release_id_of(tag), "tag_name": tag,
                        "name": f"Version {tag}", "body": notes,
                        "html_url": f"https://github.com/{repo}/releases/tag/{tag}",
                        "author": {"login": "octocat"}},
            "repository": {"id": repository_id, "full_name": repo,
                           "html_url": f"https://github.com/{repo}"},
            "sender": {"login": "octocat"}}


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(client, automation, payload, *, event="release", delivery=None, secret=None,
            body=None, headers=None):
    """POST a delivery as GitHub would (signed with the automation's secret unless told)."""
    body = body if body is not None else json.dumps(payload).encode()
    sent = {"HTTP_X_GITHUB_EVENT": event,
            "HTTP_X_GITHUB_DELIVERY": delivery or str(uuid.uuid4()),
            "HTTP_X_HUB_SIGNATURE_256": signature(secret or automation.secret, body),
            "HTTP_USER_AGENT": "GitHub-Hookshot/test", **(headers or {})}
    sent = {k: v for k, v in sent.items() if v is not None}
    return client.post(f"/api/v1/github/webhook?automation={automation.pk}", body,
                       content_type="application/json", **sent)
