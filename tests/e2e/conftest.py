"""Fixtures shared by the end-to-end tests."""

import pytest

from integrations.config import clear_client_cache


@pytest.fixture
def facebook(sandbox_settings):
    """The sandbox as Facebook (and GitHub), with fresh provider clients around each test."""
    clear_client_cache()
    yield sandbox_settings
    clear_client_cache()
