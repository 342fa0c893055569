"""A JSON body that is not an object is a 400 `validation_error` naming the problem, for every
endpoint that takes JSON: refused once, by the parser (api.parsers), before any view, serializer
or audit sees it."""

import json

import pytest

from api.parsers import NOT_AN_OBJECT
from tests.automations.conftest import client_for, create, make_staff
from tests.fixtures.assertions import assert_error

NOT_OBJECTS = ["null", "[]", '[{"code": "x"}]', '"text"', "1", "1.5", "true", "false"]


def send(client, method: str, path: str, raw: str):
    # The Idempotency-Key header makes the Page post reach its body (other views ignore it).
    return getattr(client, method)(path, raw, content_type="application/json",
                                   HTTP_IDEMPOTENCY_KEY="json-body-test")


def assert_not_an_object(response):
    body = assert_error(response, 400, "validation_error")
    assert body["fields"] == {"non_field_errors": [NOT_AN_OBJECT]}


@pytest.mark.django_db
def test_github_callback_with_a_null_body_is_a_400_not_a_500(api_client):
    """Regression: `curl -X POST -H 'Content-Type: application/json' -d null
    …/api/v1/auth/github/callback` answered 500 (`"code_verifier" in None` while auditing)."""
    response = send(api_client, "post", "/api/v1/auth/github/callback", "null")
    assert_not_an_object(response)


@pytest.mark.django_db
@pytest.mark.parametrize("raw", NOT_OBJECTS)
@pytest.mark.parametrize("path", ["/api/v1/auth/github/authorize",
                                  "/api/v1/auth/github/callback"])
def test_anonymous_post_endpoints_refuse_a_body_that_is_not_an_object(api_client, path, raw):
    assert_not_an_object(send(api_client, "post", path, raw))


@pytest.mark.parametrize("raw", NOT_OBJECTS)
@pytest.mark.parametrize("path", ["/api/v1/facebook/authorize", "/api/v1/facebook/callback",
                                  "/api/v1/facebook/page/posts", "/api/v1/automations"])
def test_staff_post_endpoints_refuse_a_body_that_is_not_an_object(staff_client, linked, path,
                                                                   raw):
    assert_not_an_object(send(staff_client, "post", path, raw))
    assert linked.calls == []  # nothing reached Facebook


@pytest.mark.parametrize("raw", NOT_OBJECTS)
def test_put_refuses_a_body_that_is_not_an_object(staff_client, linked, raw):
    assert_not_an_object(send(staff_client, "put", "/api/v1/facebook/page", raw))
    assert linked.calls == []


@pytest.mark.django_db
@pytest.mark.parametrize("raw", NOT_OBJECTS)
def test_patch_refuses_a_body_that_is_not_an_object(raw):
    client = client_for(make_staff())
    automation = create(client, mode="manual").json()
    assert_not_an_object(send(client, "patch", f"/api/v1/automations/{automation['id']}", raw))
    after = client.get(f"/api/v1/automations/{automation['id']}").json()
    assert after["message_template"] == automation["message_template"]


@pytest.mark.django_db
def test_an_object_and_an_empty_body_still_parse(api_client):
    """The parser only refuses non-objects: `{}` and no body at all start a sign-in as before."""
    assert send(api_client, "post", "/api/v1/auth/github/authorize", "{}").status_code == 201
    assert api_client.post("/api/v1/auth/github/authorize").status_code == 201


@pytest.mark.django_db
def test_a_non_object_body_is_not_an_unknown_field_error(api_client):
    """Even JSON that looks like form fields must be an object, not a list of pairs."""
    raw = json.dumps([["code", "c"], ["state", "s"]])
    assert_not_an_object(send(api_client, "post", "/api/v1/auth/github/callback", raw))
