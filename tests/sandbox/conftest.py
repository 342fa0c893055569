import pytest

from tests.sandbox.helpers import FB_CALLBACK, GH_CALLBACK


@pytest.fixture
def sb(sandbox):
    """The session's sandbox, reset, with this suite's callback URLs registered."""
    sandbox.reset()
    sandbox.register_redirect_uri("github", GH_CALLBACK)
    sandbox.register_redirect_uri("facebook", FB_CALLBACK)
    return sandbox
