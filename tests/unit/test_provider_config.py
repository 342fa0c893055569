"""get_github_client / get_facebook_client: settings read lazily, clients cached per settings."""

import pytest

from integrations.config import clear_client_cache, get_facebook_client, get_github_client
from integrations.errors import ProviderNotConfigured


@pytest.fixture(autouse=True)
def _fresh_clients():
    clear_client_cache()
    yield
    clear_client_cache()


def test_github_client_is_built_from_settings(settings):
    settings.GITHUB_URL = "https://ghe.example.test"
    settings.GITHUB_API_URL = "https://ghe.example.test/api/v3/"
    settings.PROVIDER_TIMEOUT_S = (1, 2.5)
    client = get_github_client()
    assert client.client_id == settings.GITHUB_CLIENT_ID
    assert client.web_url == "https://ghe.example.test"
    assert client.api_url == "https://ghe.example.test/api/v3"
    assert client.timeout_s == (1.0, 2.5)


def test_clients_are_cached_per_settings_so_pools_are_reused(settings):
    first = get_github_client()
    assert get_github_client() is first
    assert get_facebook_client() is get_facebook_client()
    settings.GITHUB_API_URL = "http://127.0.0.1:9/github/api/v3"
    second = get_github_client()
    assert second is not first and second.api_url == "http://127.0.0.1:9/github/api/v3"


def test_missing_github_settings_are_named_but_values_are_not(settings):
    settings.GITHUB_CLIENT_ID = ""
    settings.GITHUB_CLIENT_SECRET = ""
    with pytest.raises(ProviderNotConfigured) as info:
        get_github_client()
    assert "GITHUB_CLIENT_ID" in info.value.message
    assert "GITHUB_CLIENT_SECRET" in info.value.message
    assert "GITHUB_URL" not in info.value.message


def test_missing_facebook_settings_are_named(settings):
    secret = settings.FACEBOOK_APP_SECRET
    settings.FACEBOOK_APP_ID = ""
    with pytest.raises(ProviderNotConfigured) as info:
        get_facebook_client()
    assert "FACEBOOK_APP_ID" in info.value.message
    assert secret not in info.value.message


def test_facebook_client_uses_the_configured_version(settings):
    settings.FACEBOOK_GRAPH_VERSION = "v26.0"
    settings.FACEBOOK_GRAPH_URL = "https://graph.example.test"
    client = get_facebook_client()
    assert client.graph_base == "https://graph.example.test/v26.0"
    assert "/v26.0/dialog/oauth?" in client.dialog_url("s", "https://a.test/cb", ["x"])


def test_bad_timeout_setting_is_not_configured(settings):
    settings.PROVIDER_TIMEOUT_S = "ten"
    with pytest.raises(ProviderNotConfigured, match="PROVIDER_TIMEOUT_S"):
        get_github_client()
