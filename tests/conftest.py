import pytest
from rest_framework.test import APIClient

# Shared fixtures live in tests/fixtures/ (one module per concern) and are registered here.
pytest_plugins: list[str] = [
    "tests.fixtures.sandbox",
    "tests.fixtures.facebook",
    "tests.fixtures.github",
    "tests.fixtures.worker",
    "tests.fixtures.redis",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached provider answers live in the cache: start each test clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def csrf_client() -> APIClient:
    """A client that enforces CSRF like a browser would (Django's test client skips it)."""
    return APIClient(enforce_csrf_checks=True)
