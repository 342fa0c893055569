"""PyGithub's transport, replaced by our HTTP choke point: a Requester that sends through
`HttpClient.send()`. Plain Python, no Django.

Pooling: PyGithub gives every `Requester` its own connection object and its own
`requests.Session`, and its connection keeps the pending request on the object between
`request()` and `getresponse()`, so one Requester shared by two threads can send one thread's
request with the other's headers. We therefore build a cheap `Github` per call (its own auth,
no shared mutable state) and hand its Requester a `_ChokePointConnection` that sends through the
client's `HttpClient.send()`: every REST call, for every token and thread, shares one urllib3
pool, timeout, GET-only retry policy and size cap.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from github import Auth, Github
from github.Requester import Requester

from integrations import http


def pygithub_requester(
    client: http.HttpClient, *, token: str, api_url: str, api_version: str
) -> Requester:
    """A fresh PyGithub Requester for one call, authenticated with `token`, that sends through
    `client` (its pool, timeout and retry policy)."""
    gh = Github(
        base_url=api_url,
        auth=_BearerToken(token),
        timeout=max(1, math.ceil(client.timeout_s[1])),
        user_agent=http.USER_AGENT,
        retry=None,  # retries belong to our adapter, and only for GET
        seconds_between_requests=None,
        seconds_between_writes=None,
        api_version=api_version,
    )
    requester = gh.requester
    connection = _ChokePointConnection(client, requester.hostname, api_url)
    # Pre-seed the Requester's (persistent) connection. Private to PyGithub, so fail loudly
    # rather than silently fall back to a fresh unpooled Session per call.
    if not hasattr(requester, "_Requester__connection"):
        raise RuntimeError("Unsupported PyGithub version: Requester has no connection slot")
    requester._Requester__connection = connection
    return requester


class _BearerToken(Auth.Token):
    """PyGithub's Token sends `Authorization: token X`; the documented form is `Bearer X`."""

    @property
    def token_type(self) -> str:
        return "Bearer"


class _ChokePointConnection:
    """The connection protocol PyGithub's Requester speaks (`request`, `getresponse`, `close`),
    sent through the client's `HttpClient.send()`. One per Requester, so per call and thread."""

    def __init__(self, client: http.HttpClient, host: str, api_url: str) -> None:
        parts = urlsplit(api_url)
        self.host = host  # the Requester reuses the connection only while this matches
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._client = client
        self._pending: tuple[str, str, Any, dict[str, str]] | None = None

    def request(self, verb: str, url: str, input: Any, headers: dict[str, str],
                stream: bool = False) -> None:
        self._pending = (verb, url, input, headers)

    def getresponse(self) -> _PyGithubResponse:
        assert self._pending is not None  # noqa: S101 - PyGithub always calls request() first
        verb, url, body, headers = self._pending
        self._pending = None
        # send_json: a 5xx, HTML or non-JSON body is ProviderUnavailable before PyGithub sees it.
        response, _body = self._client.send_json(
            verb, self._origin + url, data=body, headers=headers
        )
        return _PyGithubResponse(response)

    def close(self) -> None:
        """The pool belongs to the client, not to PyGithub."""


class _PyGithubResponse:
    def __init__(self, response: http.HttpResponse) -> None:
        self.status = response.status
        self._response = response

    def getheaders(self):
        return self._response.headers.items()

    def read(self) -> str:
        return self._response.text
