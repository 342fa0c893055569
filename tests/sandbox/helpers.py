"""Small request builders for the sandbox tests (each test reads as the provider behaviour)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode

import requests

from tests.fixtures.sandbox import TEST_CREDENTIALS, SandboxHandle

GH_ID = TEST_CREDENTIALS["SANDBOX_GITHUB_CLIENT_ID"]
GH_SECRET = TEST_CREDENTIALS["SANDBOX_GITHUB_CLIENT_SECRET"]
FB_ID = TEST_CREDENTIALS["SANDBOX_FACEBOOK_APP_ID"]
FB_SECRET = TEST_CREDENTIALS["SANDBOX_FACEBOOK_APP_SECRET"]
APP_TOKEN = f"{FB_ID}|{FB_SECRET}"
GH_CALLBACK = "http://127.0.0.1/auth/github/callback"
FB_CALLBACK = "https://app.example.test/facebook/callback"
FB_SCOPES = "pages_show_list,pages_read_engagement,pages_manage_posts"
TIMEOUT = 5


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# --- GitHub ------------------------------------------------------------------------------------
def github_authorize_url(sb: SandboxHandle, **params: str | None) -> str:
    query = {"client_id": GH_ID, "redirect_uri": GH_CALLBACK, "scope": "read:user user:email",
             "state": "st4te", **params}
    return sb.github_url + "/login/oauth/authorize?" + urlencode(
        {k: v for k, v in query.items() if v is not None})


def github_code(sb: SandboxHandle, user: str = "octocat", **params: str | None
                ) -> tuple[str, str]:
    verifier, challenge = pkce()
    result = sb.github_consent(github_authorize_url(
        sb, code_challenge=challenge, code_challenge_method="S256", **params), user=user)
    return result["code"], verifier


def exchange(sb: SandboxHandle, code: str, verifier: str | None, *, as_json: bool = True,
             **fields: str) -> requests.Response:
    data = {"client_id": GH_ID, "client_secret": GH_SECRET, "code": code,
            "redirect_uri": GH_CALLBACK, "code_verifier": verifier, **fields}
    headers = {"Accept": "application/json"} if as_json else {}
    return requests.post(sb.github_url + "/login/oauth/access_token", data=data,
                         headers=headers, timeout=TIMEOUT)


def github_token(sb: SandboxHandle, user: str = "octocat", **params: str) -> dict:
    code, verifier = github_code(sb, user, **params)
    body = exchange(sb, code, verifier).json()
    assert "access_token" in body, body
    return body


def github_api(sb: SandboxHandle, path: str, token: str, **kwargs) -> requests.Response:
    return requests.get(sb.github_api_url + path, headers={"Authorization": f"Bearer {token}"},
                        timeout=TIMEOUT, **kwargs)


def check_token(sb: SandboxHandle, token: str, auth=(GH_ID, GH_SECRET)) -> requests.Response:
    return requests.post(f"{sb.github_api_url}/applications/{GH_ID}/token",
                         json={"access_token": token}, auth=auth, timeout=TIMEOUT)


# --- Facebook ----------------------------------------------------------------------------------
def fb_dialog_url(sb: SandboxHandle, **params: str | None) -> str:
    query = {"client_id": FB_ID, "redirect_uri": FB_CALLBACK, "state": "fbst4te",
             "scope": FB_SCOPES, "response_type": "code", **params}
    return sb.facebook_url + "/v25.0/dialog/oauth?" + urlencode(
        {k: v for k, v in query.items() if v is not None})


def fb_code(sb: SandboxHandle, user: str = "alex", declined: tuple[str, ...] = (),
            **params: str) -> str:
    return sb.facebook_consent(fb_dialog_url(sb, **params), user=user, declined=declined)["code"]


def fb_exchange(sb: SandboxHandle, code: str, redirect_uri: str = FB_CALLBACK,
                method: str = "GET") -> requests.Response:
    params = {"client_id": FB_ID, "client_secret": FB_SECRET, "code": code,
              "redirect_uri": redirect_uri}
    url = sb.graph_url + "/v25.0/oauth/access_token"
    if method == "POST":
        return requests.post(url, data=params, timeout=TIMEOUT)
    return requests.get(url, params=params, timeout=TIMEOUT)


def fb_user_token(sb: SandboxHandle, user: str = "alex", *, long_lived: bool = True,
                  declined: tuple[str, ...] = ()) -> str:
    token = fb_exchange(sb, fb_code(sb, user, declined)).json()["access_token"]
    if not long_lived:
        return token
    extended = requests.get(sb.graph_url + "/v25.0/oauth/access_token", params={
        "grant_type": "fb_exchange_token", "client_id": FB_ID, "client_secret": FB_SECRET,
        "fb_exchange_token": token}, timeout=TIMEOUT)
    return extended.json()["access_token"]


def graph(sb: SandboxHandle, method: str, path: str, token: str | None = None,
          **params: str) -> requests.Response:
    if token is not None:
        params.setdefault("access_token", token)
    url = f"{sb.graph_url}/v25.0{path}"
    if method == "GET":
        return requests.get(url, params=params, timeout=TIMEOUT)
    return requests.request(method, url, data=params, timeout=TIMEOUT)


def proof(token: str, at: int | None = None) -> dict[str, str]:
    message = token if at is None else f"{token}|{at}"
    digest = hmac.new(FB_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    return {"appsecret_proof": digest} if at is None else {"appsecret_proof": digest,
                                                           "appsecret_time": str(at)}


def page_token(sb: SandboxHandle, user_token: str, page_id: str = "1000000000000101") -> str:
    return graph(sb, "GET", f"/{page_id}", user_token, fields="access_token").json()[
        "access_token"]


def now() -> int:
    return int(time.time())
