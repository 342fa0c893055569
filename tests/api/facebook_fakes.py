"""Fixtures for the Facebook API tests: a fake client at the client boundary, staff clients.

The fake subclasses the real FacebookClient, so `dialog_url` and `parse_signed_request` are the
real code; every network method is replaced by a recorded, scriptable answer.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from integrations.facebook import (
    FacebookClient,
    FacebookPage,
    FacebookToken,
    PagePostResult,
    TokenInfo,
)

SCOPES = ("pages_show_list", "pages_read_engagement", "pages_manage_posts")
USER_TOKEN = "EAAG-long-lived-SENTINELUSERTOKEN"
PAGE_TOKEN = "EAAG-page-SENTINELPAGETOKEN"


def page(page_id="201", name="Only Page", tasks=("CREATE_CONTENT", "MANAGE"), token=None):
    return FacebookPage(id=page_id, name=name, category="Community", tasks=tuple(tasks),
                        access_token=token or f"{PAGE_TOKEN}-{page_id}")


class FakeFacebook(FacebookClient):
    def __init__(self):
        super().__init__(settings.FACEBOOK_APP_ID, settings.FACEBOOK_APP_SECRET,
                         web_url="https://www.facebook.test", graph_url="https://graph.test")
        self.calls: list[tuple] = []
        self.fail: dict[str, Exception] = {}
        self.pages = [page()]
        self.scopes = SCOPES
        self.invalid_tokens: set[str] = set()
        self.user_id = "10000000000001"
        self.info_app_id = str(settings.FACEBOOK_APP_ID)
        self.post_count = 0

    def _record(self, name, *args):
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail[name]

    def names(self):
        return [c[0] for c in self.calls]

    def exchange_code(self, code, redirect_uri):
        self._record("exchange_code", code, redirect_uri)
        return FacebookToken(access_token="short-" + code, token_type="bearer",
                             expires_at=datetime.now(UTC) + timedelta(hours=1))

    def extend_token(self, token):
        self._record("extend_token", token)
        return FacebookToken(access_token=USER_TOKEN, token_type="bearer",
                             expires_at=datetime.now(UTC) + timedelta(days=60))

    def debug_token(self, token):
        self._record("debug_token", token)
        valid = token not in self.invalid_tokens
        is_page = token.startswith(PAGE_TOKEN)
        return TokenInfo(
            is_valid=valid and self.info_app_id == self.app_id, type="PAGE" if is_page else "USER",
            app_id=self.info_app_id, user_id=self.user_id, profile_id=None,
            expires_at=None if is_page else datetime.now(UTC) + timedelta(days=60),
            data_access_expires_at=datetime.now(UTC) + timedelta(days=90),
            scopes=self.scopes, error_code=None if valid else 190,
            error_subcode=None if valid else 460,
            error_message=None if valid else "Error validating access token.",
        )

    def list_pages(self, token):
        self._record("list_pages", token)
        return tuple(self.pages)

    def get_page_token(self, user_token, page_id):
        self._record("get_page_token", user_token, page_id)
        return f"{PAGE_TOKEN}-{page_id}-fetched"

    def publish_to_page(self, page_id, page_token, message, link=None, scheduled_at=None):
        self._record("publish_to_page", page_id, page_token, message, link, scheduled_at)
        self.post_count += 1
        return PagePostResult(id=f"{page_id}_{self.post_count}", scheduled=scheduled_at is not None)

    def revoke(self, token):
        self._record("revoke", token)


@pytest.fixture
def fake_facebook(monkeypatch):
    fake = FakeFacebook()
    monkeypatch.setattr("integrations.services.facebook.get_facebook_client", lambda: fake)
    return fake


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user("staffer", is_staff=True)


@pytest.fixture
def staff_client(staff_user):
    client = APIClient()
    client.force_login(staff_user)
    return client


@pytest.fixture
def plain_client(db):
    client = APIClient()
    client.force_login(get_user_model().objects.create_user("plain"))
    return client


def authorize(client) -> str:
    response = client.post("/api/v1/facebook/authorize", {}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["state"]


def link(client, code="the-code"):
    """Run authorize + callback with the fake; answers the callback response."""
    state = authorize(client)
    return client.post("/api/v1/facebook/callback", {"code": code, "state": state},
                       format="json")


@pytest.fixture
def linked(staff_client, fake_facebook):
    response = link(staff_client)
    assert response.status_code == 200, response.content
    fake_facebook.calls.clear()
    return fake_facebook


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body
