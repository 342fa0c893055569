"""Fixtures for the provider-client unit tests: clients with zero retry backoff, a strict
`responses` mock (every registered response must be used), and a fixed clock."""

from datetime import UTC, datetime

import pytest
import responses

from integrations.facebook import FacebookClient
from integrations.github import GitHubClient
from integrations.http import build_session

GH_CLIENT_ID = "test-github-client-id"
GH_SECRET = "SENTINELCS-github-client-secret"
GH_WEB = "https://github.test"
GH_API = "https://api.github.test"
FB_APP_ID = "100000000000001"
FB_SECRET = "SENTINELAPPSECRET-facebook"
FB_WEB = "https://www.facebook.test"
FB_GRAPH = "https://graph.facebook.test"
GRAPH = f"{FB_GRAPH}/v25.0"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def github_client() -> GitHubClient:
    client = GitHubClient(
        GH_CLIENT_ID, GH_SECRET, web_url=GH_WEB, api_url=GH_API,
        session=build_session(backoff_s=0),
    )
    client.now = lambda: NOW
    return client


@pytest.fixture
def facebook_client() -> FacebookClient:
    client = FacebookClient(
        FB_APP_ID, FB_SECRET, web_url=FB_WEB, graph_url=FB_GRAPH, graph_version="v25.0",
        session=build_session(backoff_s=0),
    )
    client.now = lambda: NOW
    return client
