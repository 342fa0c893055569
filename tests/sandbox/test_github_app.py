"""The sandbox's GitHub App (PROVIDERS-APPS-MEDIA D7): the JWT is verified like GitHub does
(signature, iat/exp window, iss) with GitHub's 401 bodies; tokens, installations, the
install page and signed app deliveries in GitHub's shapes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.sandbox.helpers import TIMEOUT
from tests.sandbox.test_github_hooks import receiver  # noqa: F401 (fixture)

UNDECODABLE = "A JSON web token could not be decoded"


@pytest.fixture
def app(sb):
    return sb.github_app()


def app_jwt(app, *, key=None, iat=None, exp=None, iss=None, algorithm="RS256"):
    now = int(time.time())
    claims = {"iat": now - 60 if iat is None else iat, "exp": now + 540 if exp is None else exp,
              "iss": str(app["id"]) if iss is None else iss}
    return jwt.encode(claims, key or app["private_key"], algorithm=algorithm)


def mint(sb, installation_id, token):
    return requests.post(f"{sb.github_api_url}/app/installations/{installation_id}/access_tokens",
                         headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)


def other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()


def test_a_valid_jwt_mints_an_hour_long_installation_token(sb, app):
    installation_id = sb.install_app("octocat", ["octocat/hello-world"])
    answer = mint(sb, installation_id, app_jwt(app))
    assert answer.status_code == 201
    body = answer.json()
    assert body["token"].startswith("ghs_")
    assert body["repository_selection"] == "selected"
    assert body["permissions"] == {"contents": "read", "metadata": "read"}
    repos = requests.get(f"{sb.github_api_url}/installation/repositories", timeout=TIMEOUT,
                         headers={"Authorization": f"token {body['token']}"}).json()
    assert [r["full_name"] for r in repos["repositories"]] == ["octocat/Hello-World"]


@pytest.mark.parametrize(("claims", "message"), [  # times: seconds from now, at run time
    ({"key": "other"}, UNDECODABLE),
    ({"iss": "999"}, UNDECODABLE),
    ({"exp": -10}, "'Expiration time' claim ('exp') must be a numeric value"),
    ({"exp": 900}, "'Expiration time' claim ('exp') is too far in the future"),
    ({"iat": 300}, "'Issued at' claim ('iat') must be an Integer"),
])
def test_a_bad_jwt_is_refused_with_githubs_401(sb, app, claims, message):
    installation_id = sb.install_app("octocat")
    now = int(time.time())
    claims = {name: now + value if name in ("exp", "iat") else value
              for name, value in claims.items()}
    if claims.get("key") == "other":
        claims = {"key": other_key()}
    answer = mint(sb, installation_id, app_jwt(app, **claims))
    assert answer.status_code == 401
    assert answer.json()["message"].startswith(message)


def test_an_unsigned_jwt_is_refused(sb, app):
    token = jwt.encode({"iss": str(app["id"]), "iat": int(time.time()),
                        "exp": int(time.time()) + 60}, None, algorithm="none")
    assert mint(sb, sb.install_app("octocat"), token).status_code == 401


def test_the_client_id_is_an_accepted_issuer(sb, app):
    assert mint(sb, sb.install_app("octocat"), app_jwt(app, iss=app["client_id"])
                ).status_code == 201


def test_suspended_is_403_deleted_is_404_and_their_tokens_stop_working(sb, app):
    installation_id = sb.install_app("octocat")
    token = mint(sb, installation_id, app_jwt(app)).json()["token"]
    sb.installation_action(installation_id, "suspend")
    assert mint(sb, installation_id, app_jwt(app)).json()["message"] == (
        "This installation has been suspended")
    read = requests.get(f"{sb.github_api_url}/installation/repositories", timeout=TIMEOUT,
                        headers={"Authorization": f"token {token}"})
    assert read.status_code == 401
    sb.installation_action(installation_id, "unsuspend")
    assert mint(sb, installation_id, app_jwt(app)).status_code == 201
    sb.installation_action(installation_id, "uninstall")
    assert mint(sb, installation_id, app_jwt(app)).status_code == 404


def test_user_installations_needs_a_github_app_user_token(sb):
    sb.install_app("mona-org")
    oauth_token = sb.mint_token("github", "mona")["access_token"]
    listed = requests.get(f"{sb.github_api_url}/user/installations", timeout=TIMEOUT,
                          headers={"Authorization": f"Bearer {oauth_token}"})
    assert listed.status_code == 403
    sb.config(github_app_type="github_app")
    for user, expected in (("mona", ["mona-org"]), ("octocat", [])):
        token = sb.mint_token("github", user)["access_token"]
        body = requests.get(f"{sb.github_api_url}/user/installations", timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {token}"}).json()
        assert [i["account"]["login"] for i in body["installations"]] == expected


def test_the_install_page_redirects_to_the_setup_url_with_the_state(sb):
    sb.github_app(setup_url="http://127.0.0.1:8000/github/app/setup")
    url = f"{sb.github_url}/apps/oauth-bridge-sandbox/installations/new?state=abc"
    params = sb.app_install_page(url, "mona-org", ("mona-org/gallery",))
    assert params["setup_action"] == "install" and params["state"] == "abc"
    [installation] = sb._control("GET", "github/installations")["installations"]
    assert str(installation["id"]) == params["installation_id"]
    assert installation["account"]["type"] == "Organization"
    assert installation["repositories"] == ["mona-org/gallery"]


def test_app_deliveries_are_signed_with_the_app_secret(sb, app, receiver):  # noqa: F811
    sb.github_app(webhook_url=receiver.url)
    installation_id = sb.install_app("octocat", ["octocat/Hello-World"])
    [release] = sb.release("octocat/Hello-World", "v9.0.0")
    assert release["hook_id"] == 500000001
    events = []
    for headers, body in receiver.received:
        expected = "sha256=" + hmac.new(app["webhook_secret"].encode(), body,
                                        hashlib.sha256).hexdigest()
        assert headers["X-Hub-Signature-256"] == expected
        assert headers["X-GitHub-Hook-Installation-Target-Type"] == "integration"
        assert headers["X-GitHub-Hook-Installation-Target-ID"] == str(app["id"])
        payload = json.loads(body)
        events.append((headers["X-GitHub-Event"], payload["action"],
                       payload["installation"]["id"]))
    assert events == [("installation", "created", installation_id),
                      ("release", "published", installation_id)]
    assert len(sb.requests("github.webhook_delivery")) == 2
