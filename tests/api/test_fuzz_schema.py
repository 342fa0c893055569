"""Every operation of the OpenAPI schema, fuzzed from the schema itself (schemathesis).

The schema is loaded from the app in-process over WSGI (no server). Each operation is called as
three callers, each a werkzeug client that keeps its cookies like a browser and sends the CSRF
token it was given: anonymous; a user signed in with GitHub; a staff Page manager (GitHub account
with `admin:repo_hook`) with a linked Facebook Page. GitHub is mocked with `responses` (every
call a real answer), Facebook by the fake client behind `integrations.config`.

Checks: no server error (5xx: the providers are healthy here, so any is ours), status codes and
content types as documented, response bodies valid against the schema.

Bounded for CI: a fixed seed and FUZZ_EXAMPLES examples per operation and caller (default 8).
`FUZZ_EXAMPLES=200` for a long local run raises the stateful runs with it; FUZZ_SEED picks
another seed (README, "Fuzzing").
"""

import os
import re
from contextlib import contextmanager

import pytest
import responses
import schemathesis
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, seed, settings
from rest_framework.test import APIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from integrations.models import GitHubAccount
from tests.automations.conftest import hook_answer, make_staff
from tests.fixtures.facebook import link
from tests.fixtures.github import ACCESS_TOKEN, API, CHECK_URL, mock_sign_in, profile

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
SEED = int(os.environ.get("FUZZ_SEED", "22"))
STATEFUL_EXAMPLES = max(2, EXAMPLES // 2)  # sequences of up to 6 calls each
HOST = "localhost"  # the werkzeug client's host, where its cookies live (in ALLOWED_HOSTS)
BASE_URL = f"http://{HOST}"  # not the schema's server (PUBLIC_URL): the cookies' host

APP = get_wsgi_application()
# The callers bring their own session and CSRF token: no generated values for the security
# schemes (a random `sessionid` cookie or `Authorization` header would replace theirs).
CONFIG = schemathesis.Config.from_dict({"seed": SEED,
                                        "generation": {"with-security-parameters": False}})
schema = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", APP, config=CONFIG)
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance,
          content_type_conformance, response_schema_conformance]

REPO = {"id": 1, "name": "hello", "full_name": "octocat/hello", "private": False,
        "html_url": "https://github.com/octocat/hello", "description": None,
        "language": "Python", "stargazers_count": 3, "updated_at": "2026-01-01T00:00:00Z"}


@contextmanager
def connection_kept_open():
    """What Django's test client does around each request: the WSGI handler would close the
    database connection after every request, ending the test's transaction (and its rollback).
    (Django's test client connects the signals again after its own requests: enter this after
    using it.)"""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def providers(fake_facebook):
    """GitHub answering every call the API makes, successfully; Facebook faked."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as github:
        mock_sign_in(github)
        github.post(CHECK_URL, json={"token": ACCESS_TOKEN, "scopes": ["read:user"],
                                     "expires_at": None})
        github.delete(f"{API}/applications/test-github-client-id/grant", status=204)
        github.get(f"{API}/user/repos", json=[REPO])
        github.post(re.compile(rf"{API}/repos/[^/]+/[^/]+/hooks"), status=201,
                    json=hook_answer())
        github.delete(re.compile(rf"{API}/repos/[^/]+/[^/]+/hooks/\d+"), status=204)
        yield github


def browser(user=None) -> Client:
    """A werkzeug client (cookies kept like a browser's), signed in as `user` if given, holding
    the CSRF cookie from GET /api/v1/auth/csrf."""
    client = Client(APP)
    if user is not None:
        signed_in = APIClient()
        signed_in.force_login(user)
        session = signed_in.cookies[django_settings.SESSION_COOKIE_NAME].value
        client.set_cookie(django_settings.SESSION_COOKIE_NAME, session, domain=HOST)
    assert client.get("/api/v1/auth/csrf").status_code == 200
    return client


def csrf_header(client: Client) -> dict[str, str]:
    """The CSRF token as the SPA sends it (the cookie's current value: it rotates at sign-in)."""
    cookie = client.get_cookie(django_settings.CSRF_COOKIE_NAME, domain=HOST)
    return {"X-CSRFToken": cookie.value} if cookie else {}


def signed_in_user():
    user = get_user_model().objects.create_user("fuzz-user")
    GitHubAccount.objects.create(user=user, github_id=4242, login="fuzz-user",
                                 access_token=ACCESS_TOKEN, scopes="read:user,user:email")
    return user


def page_manager_with_a_linked_page():
    staff = make_staff()
    linking = APIClient()
    linking.force_login(staff)
    assert link(linking).status_code == 200
    return staff


@pytest.fixture(params=["anonymous", "user", "staff"])
def caller(request, db, providers) -> Client:
    user = {"anonymous": lambda: None, "user": signed_in_user,
            "staff": page_manager_with_a_linked_page}[request.param]()
    if request.param == "staff":  # a sign-in keeps the hook scope automations need (only staff
        # may hold it: the scope policy refuses it to anyone else)
        providers.replace(responses.GET, f"{API}/user", json=profile(),
                          headers={"X-OAuth-Scopes": "read:user, user:email, admin:repo_hook"})
    with connection_kept_open():
        client = browser(user)
        client.role = request.param
        yield client


@schema.parametrize()
@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate, Phase.shrink],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_every_operation_as_every_caller(case, caller):
    case.call_and_validate(base_url=BASE_URL, session=caller, headers=csrf_header(caller),
                           checks=CHECKS)


def test_linked_calls_as_every_caller(caller):
    """Stateful: the schema's links (authorize → callback with its state, create automation →
    read/update/delete it, create post → history) followed in generated sequences."""

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": BASE_URL, "session": caller, "headers": csrf_header(caller)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Workflow.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=6,
                                   deadline=None, database=None, derandomize=True,
                                   suppress_health_check=list(HealthCheck)))


def call(caller, method: str, path: str, **parts):
    """One chosen request through schemathesis, checked like the generated ones."""
    case = schema[path][method].Case(**parts)
    return case.call_and_validate(base_url=BASE_URL, session=caller,
                                  headers=csrf_header(caller), checks=CHECKS)


def test_the_happy_paths_answer_as_documented(caller, providers):
    """Random bodies rarely carry a valid code with a fresh state: the successful flows are
    called once each, and checked the same way (schemathesis validates their answers)."""
    started = call(caller, "POST", "/api/v1/auth/github/authorize", body={})
    signed_in = call(caller, "POST", "/api/v1/auth/github/callback",
                     body={"code": "the-code", "state": started.json()["state"]})
    assert signed_in.status_code == 200
    assert call(caller, "GET", "/api/v1/me").status_code == 200
    assert call(caller, "GET", "/api/v1/me/github/token").status_code == 200
    assert call(caller, "GET", "/api/v1/me/github/repos").status_code == 200
    if caller.role != "staff":
        return
    linking = call(caller, "POST", "/api/v1/facebook/authorize", body={})
    linked = call(caller, "POST", "/api/v1/facebook/callback",
                  body={"code": "the-code", "state": linking.json()["state"]})
    assert linked.status_code == 200
    assert call(caller, "GET", "/api/v1/facebook/pages").status_code == 200
    assert call(caller, "PUT", "/api/v1/facebook/page", body={"page_id": "201"}).status_code \
        == 200
    posted = call(caller, "POST", "/api/v1/facebook/page/posts", body={"message": "Hello"},
                  headers={"Idempotency-Key": "fuzz-happy-path"})
    assert posted.status_code == 201
    assert call(caller, "GET", "/api/v1/facebook/page/posts").json()["results"][0]["id"] == \
        posted.json()["id"]
    created = call(caller, "POST", "/api/v1/automations", body={
        "repository": "octocat/hello-world", "events": ["release"],
        "message_template": "{repository} {tag} is out"})
    assert created.status_code == 201
    automation = {"id": created.json()["id"]}
    assert call(caller, "PATCH", "/api/v1/automations/{id}", path_parameters=automation,
                body={"enabled": False}).status_code == 200
    assert call(caller, "DELETE", "/api/v1/automations/{id}",
                path_parameters=automation).status_code == 204
