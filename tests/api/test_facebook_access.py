"""Who may call the Facebook endpoints: staff only (401 anonymous, 403 signed-in non-staff),
CSRF on unsafe methods with the session cookie, and every endpoint in the OpenAPI schema."""

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.fixtures.facebook import (
    assert_error,
)

pytestmark = pytest.mark.django_db

STAFF_ENDPOINTS = [
    ("post", "/api/v1/facebook/authorize", {}),
    ("post", "/api/v1/facebook/callback", {"code": "c", "state": "s" * 43}),
    ("get", "/api/v1/facebook/pages", None),
    ("get", "/api/v1/facebook/page", None),
    ("put", "/api/v1/facebook/page", {"page_id": "201"}),
    ("delete", "/api/v1/facebook/page", None),
    ("get", "/api/v1/facebook/page/posts", None),
    ("post", "/api/v1/facebook/page/posts", {"message": "hi"}),
]


def call(client, method, url, body):
    kwargs = {"format": "json", "HTTP_IDEMPOTENCY_KEY": "k"} if body is not None else {}
    return getattr(client, method)(url, body, **kwargs) if body is not None \
        else getattr(client, method)(url)


@pytest.mark.parametrize(("method", "url", "body"), STAFF_ENDPOINTS)
def test_anonymous_is_401(api_client, linked, method, url, body):
    assert_error(call(api_client, method, url, body), 401, "not_authenticated")
    assert linked.calls == []


@pytest.mark.parametrize(("method", "url", "body"), STAFF_ENDPOINTS)
def test_signed_in_non_staff_is_403(plain_client, linked, method, url, body):
    assert_error(call(plain_client, method, url, body), 403, "permission_denied")
    assert linked.calls == []


@pytest.mark.parametrize(("method", "url", "body"), STAFF_ENDPOINTS)
def test_non_staff_api_token_is_403(linked, method, url, body):
    user = get_user_model().objects.create_user("app-user")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + AuthToken.objects.create(user)[1])
    assert_error(call(client, method, url, body), 403, "permission_denied")


@pytest.mark.parametrize(("method", "url", "body"),
                         [e for e in STAFF_ENDPOINTS if e[0] != "get"])
def test_unsafe_methods_with_the_session_need_the_csrf_header(
        csrf_client, linked, staff_user, method, url, body):
    csrf_client.force_login(staff_user)
    assert_error(call(csrf_client, method, url, body), 403, "csrf_failed")
    assert linked.calls == []


def test_staff_with_an_api_token_can_link_and_post(fake_facebook, staff_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + AuthToken.objects.create(staff_user)[1])
    state = client.post("/api/v1/facebook/authorize", {}, format="json").json()["state"]
    response = client.post("/api/v1/facebook/callback", {"code": "c", "state": state},
                           format="json")
    assert response.status_code == 200, response.content
    response = client.post("/api/v1/facebook/page/posts", {"message": "hi"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="tok-1")
    assert response.status_code == 201


def test_every_facebook_endpoint_is_in_the_schema(api_client):
    schema = api_client.get("/api/v1/schema", {"format": "json"}).json()
    paths = schema["paths"]
    expected = {
        "/api/v1/facebook/authorize": {"post"}, "/api/v1/facebook/callback": {"post"},
        "/api/v1/facebook/pages": {"get"}, "/api/v1/facebook/page": {"get", "put", "delete"},
        "/api/v1/facebook/page/posts": {"get", "post"},
        "/api/v1/facebook/deauthorize": {"post"}, "/api/v1/facebook/data-deletion": {"post"},
        "/api/v1/facebook/data-deletion/{confirmation_code}": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        for method in methods:
            operation = paths[path][method]
            assert operation["tags"] == ["facebook"]
            assert any(code.startswith("4") for code in operation["responses"]), (path, method)
    post_op = paths["/api/v1/facebook/page/posts"]["post"]
    assert {"201", "202", "200", "409", "422", "502"} <= set(post_op["responses"])
    schemas = schema["components"]["schemas"]
    status_doc = schemas["PagePost"]["properties"]["status"]
    assert {"queued", "retrying", "unknown", "published", "failed"} <= set(
        schemas[status_doc["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"]
        if "allOf" in status_doc else status_doc["enum"])
    warnings = schemas["LinkState"]["properties"]["warnings"]
    assert warnings["type"] == "array"
    warning = schemas[warnings["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(warning["properties"]) == {"code", "token", "expires_at", "message"}
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in post_op["parameters"])
