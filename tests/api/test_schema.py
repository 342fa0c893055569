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
