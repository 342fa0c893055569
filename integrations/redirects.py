"""Where providers send the person back: the one place that builds redirect URIs.

Both callbacks are SPA routes; the SPA posts what it received to the API.
"""

from django.conf import settings

GITHUB_CALLBACK_PATH = "/auth/github/callback"
FACEBOOK_CALLBACK_PATH = "/facebook/callback"


def spa_callback_uri(path: str) -> str:
    """The absolute URL of an SPA callback route, as registered with the provider."""
    return settings.PUBLIC_URL + path
