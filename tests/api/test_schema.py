"""The OpenAPI schema is valid, complete, and its docs pages need nothing from outside."""

import json
import re

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/v1/schema?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_valid_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "OAuth Bridge API"
    assert schema["info"]["version"] and schema["info"]["description"]


def test_schema_is_yaml_by_default(api_client):
    response = api_client.get("/api/v1/schema")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")


def test_schema_declares_both_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["cookieAuth"]["in"] == "cookie"
    assert schemes["csrfHeader"] == {**schemes["csrfHeader"], "in": "header", "name": "X-CSRFToken"}
    assert schemes["tokenAuth"]["name"] == "Authorization"
    me = schema["paths"]["/api/v1/me"]["get"]
    assert {"cookieAuth": [], "csrfHeader": []} in me["security"]
    assert {"tokenAuth": []} in me["security"]


def test_error_shape_is_a_reusable_component_used_by_every_error(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message"}
    statuses = set()
    for item in schema["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    statuses.add(int(status))
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}
    assert {400, 401, 403, 404, 405, 415, 429, 500} <= statuses


def test_every_operation_documents_its_errors(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = {int(code) for code in operation["responses"]}
            assert any(code >= 400 for code in codes), f"{method} {path} documents no error"
            assert any(code < 300 for code in codes), f"{method} {path} documents no success"


def test_schema_holds_no_secrets(api_client, settings):
    text = api_client.get("/api/v1/schema?format=json").content.decode()
    assert settings.GITHUB_CLIENT_SECRET not in text
    assert settings.FACEBOOK_APP_SECRET not in text
    assert not re.search(r"gh[opsur]_[A-Za-z0-9]{20,}", text)


@pytest.mark.parametrize("page", ["/api/v1/docs", "/api/v1/redoc"])
def test_docs_pages_load_every_asset_from_this_server(api_client, page):
    response = api_client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page references its assets"
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served locally"
        if asset.startswith("/static/"):
            assert api_client.get(asset).status_code == 200, asset


# --- Issue 16 item 12: the schema says what the views enforce (schemathesis mismatches) -------


def parameter(schema, path, method, name):
    return next(p for p in schema["paths"][path][method]["parameters"] if p["name"] == name)


@pytest.mark.parametrize(("path", "maximum"), [
    ("/api/v1/me/github/repos", 1000), ("/api/v1/facebook/page/posts", None)])
def test_page_parameters_start_at_one(schema, path, maximum):
    page = parameter(schema, path, "get", "page")["schema"]
    assert page["type"] == "integer" and page["minimum"] == 1
    assert page.get("maximum") == maximum


def test_idempotency_key_schema_is_the_pattern_the_view_enforces(schema):
    from api.views.page_posts import IDEMPOTENCY_KEY_RE

    key = parameter(schema, "/api/v1/facebook/page/posts", "post", "Idempotency-Key")
    assert key["required"] is True and key["in"] == "header"
    assert key["schema"]["minLength"] == 1 and key["schema"]["maxLength"] == 255
    pattern = re.compile(key["schema"]["pattern"])
    for value in ("k", "a b", "~" * 255, "uuid-1234"):
        assert pattern.search(value) and IDEMPOTENCY_KEY_RE.match(value)
    for value in ("", " lead", "trail ", "x" * 256, "tab\there", "é"):
        assert not pattern.search(value) and not IDEMPOTENCY_KEY_RE.match(value)


def test_page_zero_is_refused_where_the_schema_says_minimum_one(api_client, django_user_model):
    api_client.force_login(django_user_model.objects.create_user("someone"))
    assert api_client.get("/api/v1/me/github/repos?page=0").status_code == 400


def test_an_over_long_url_is_a_json_414(api_client):
    response = api_client.get("/api/v1/health?pad=" + "a" * 5000)
    assert response.status_code == 414
    assert response.json()["code"] == "uri_too_long"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert api_client.get("/api/v1/health?pad=" + "a" * 3000).status_code == 200


@pytest.mark.parametrize(("path", "method"), [
    ("/api/v1/auth/github/callback", "post"),  # a slot before the view runs
    ("/api/v1/me/github/token", "get"),  # a slot at the first provider call
    ("/api/v1/facebook/page", "get"),
    ("/api/v1/automations/{id}", "patch"),
])
def test_provider_bound_operations_document_provider_busy(schema, path, method):
    busy = schema["paths"][path][method]["responses"]["503"]
    assert "provider_busy" in busy["description"]
    assert "503" not in schema["paths"]["/api/v1/me"]["get"]["responses"]
