import pytest
from rest_framework.test import APIClient

# Shared fixtures live in tests/fixtures/ (one module per concern) and are registered here.
pytest_plugins: list[str] = []


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def csrf_client() -> APIClient:
    """A client that enforces CSRF like a browser would (Django's test client skips it)."""
    return APIClient(enforce_csrf_checks=True)
