"""GitHubAppClient against `responses`: the JWT it signs, what it sends, and how each of
GitHub's answers maps to a typed error (PROVIDERS-APPS-MEDIA D1-D3)."""

from datetime import timedelta
from email.utils import format_datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.errors import (
    BadProviderResponse,
    ProviderMisconfigured,
    ProviderRateLimited,
    TokenInvalid,
)
from integrations.github.app import GitHubAppClient
from integrations.github.errors import (
    AppAuthFailed,
    InstallationNotFound,
    InstallationSuspended,
)
from integrations.http import build_session

from .conftest import GH_API, GH_WEB, NOW

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption()).decode()
MINT = f"{GH_API}/app/installations/77/access_tokens"
DOCS = "https://docs.github.com/rest"


@pytest.fixture
def app_client() -> GitHubAppClient:
    client = GitHubAppClient("424242", PEM, slug="bridge-app", web_url=GH_WEB, api_url=GH_API,
                             session=build_session(backoff_s=0))
    client.now = lambda: NOW
    return client


def claims_of(request) -> dict:
    token = request.headers["Authorization"].removeprefix("Bearer ")
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    return jwt.decode(token, KEY.public_key(), algorithms=["RS256"],
                      options={"verify_exp": False, "verify_iat": False})


def test_the_jwt_is_rs256_backdated_60s_and_lives_under_ten_minutes(app_client):
    claims = jwt.decode(app_client.create_jwt(), KEY.public_key(), algorithms=["RS256"],
                        options={"verify_exp": False, "verify_iat": False})
    now = int(NOW.timestamp())
    assert claims == {"iat": now - 60, "exp": now + 540, "iss": "424242"}
    assert claims["exp"] - now <= 600


def test_mint_sends_the_jwt_and_reads_token_and_expiry(app_client, rsps):
    rsps.post(MINT, status=201, json={"token": "ghs_SENTINELINSTALL",
                                      "expires_at": "2026-05-01T13:00:00Z",
                                      "permissions": {"contents": "read"}})
    minted = app_client.mint_installation_token(77)
    assert minted.token == "ghs_SENTINELINSTALL"
    assert minted.expires_at == NOW + timedelta(hours=1)
    assert "ghs_" not in repr(minted)  # never in a log line or a traceback
    assert claims_of(rsps.calls[0].request)["iss"] == "424242"


@pytest.mark.parametrize(("status", "body", "headers", "error"), [
    (401, {"message": "A JSON web token could not be decoded"}, {}, AppAuthFailed),
    (404, {"message": "Not Found"}, {}, InstallationNotFound),
    (403, {"message": "This installation has been suspended"}, {}, InstallationSuspended),
    (403, {"message": "API rate limit exceeded"},
     {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW.timestamp()) + 30)},
     ProviderRateLimited),
    (429, {"message": "secondary rate limit"}, {"retry-after": "12"}, ProviderRateLimited),
    (201, {"token": "ghs_x"}, {}, BadProviderResponse),  # no expires_at
])
def test_mint_refusals_are_typed(app_client, rsps, status, body, headers, error):
    rsps.post(MINT, status=status, json={**body, "documentation_url": DOCS}, headers=headers)
    with pytest.raises(error):
        app_client.mint_installation_token(77)


def test_a_bad_jwt_is_our_configuration_with_a_readable_message(app_client, rsps):
    rsps.post(MINT, status=401, json={"message": "A JSON web token could not be decoded"})
    with pytest.raises(AppAuthFailed) as raised:
        app_client.mint_installation_token(77)
    assert raised.value.code == "github_app_misconfigured"
    assert "GITHUB_APP_PRIVATE_KEY" in raised.value.message


def test_a_claim_error_is_resigned_once_on_githubs_clock(app_client, rsps):
    ahead = NOW + timedelta(hours=2)
    rsps.post(MINT, status=401, headers={"Date": format_datetime(ahead, usegmt=True)},
              json={"message": "'Expiration time' claim ('exp') must be a numeric value "
                               "representing the future time at which the assertion expires"})
    rsps.post(MINT, status=201, json={"token": "ghs_y", "expires_at": "2026-05-01T15:00:00Z"})
    assert app_client.mint_installation_token(77).token == "ghs_y"
    first, second = (claims_of(call.request) for call in rsps.calls)
    assert second["iat"] - first["iat"] == 7200


def test_a_claim_error_without_skew_is_not_retried(app_client, rsps):
    rsps.post(MINT, status=401, headers={"Date": format_datetime(NOW, usegmt=True)},
              json={"message": "'Issued at' claim ('iat') must be an Integer representing "
                               "the time that the assertion was issued"})
    with pytest.raises(AppAuthFailed):
        app_client.mint_installation_token(77)
    assert len(rsps.calls) == 1


def test_installation_repositories_follow_the_link_header(app_client, rsps):
    url = f"{GH_API}/installation/repositories"
    rsps.get(url, json={"total_count": 2, "repositories": [{"full_name": "org/a"}]},
             headers={"Link": f'<{url}?page=2>; rel="next"'})
    rsps.get(url, json={"total_count": 2, "repositories": [{"full_name": "org/b"}]})
    assert app_client.installation_repositories("ghs_t") == ("org/a", "org/b")
    assert rsps.calls[0].request.headers["Authorization"] == "token ghs_t"
    assert "page=2" in rsps.calls[1].request.url


def test_a_dead_installation_token_is_token_invalid(app_client, rsps):
    rsps.get(f"{GH_API}/installation/repositories", status=401,
             json={"message": "Bad credentials"})
    with pytest.raises(TokenInvalid):
        app_client.installation_repositories("ghs_dead")


def test_get_installation_reads_the_account_from_github(app_client, rsps):
    rsps.get(f"{GH_API}/app/installations/77", json={
        "id": 77, "account": {"login": "octo-org", "id": 9, "type": "Organization"},
        "repository_selection": "selected", "suspended_at": "2026-04-01T00:00:00Z"})
    found = app_client.get_installation(77)
    assert (found.account_login, found.account_id, found.account_type, found.suspended) == (
        "octo-org", 9, "Organization", True)


def test_the_install_url_carries_the_state(app_client):
    assert app_client.install_url("s t") == (
        f"{GH_WEB}/apps/bridge-app/installations/new?state=s+t")


def test_a_key_that_cannot_sign_is_a_configuration_error_not_a_crash():
    client = GitHubAppClient("424242", "not a key", slug="s", web_url=GH_WEB, api_url=GH_API)
    with pytest.raises(ProviderMisconfigured) as raised:
        client.create_jwt()
    assert "GITHUB_APP_PRIVATE_KEY" in raised.value.message
