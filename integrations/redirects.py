"""Where providers send the person back: the one place that builds redirect URIs.

Both callbacks are SPA routes; the SPA posts what it received to the API.
"""

from django.conf import settings

GITHUB_CALLBACK_PATH = "/auth/github/callback"
FACEBOOK_CALLBACK_PATH = "/facebook/callback"
GITHUB_APP_SETUP_PATH = "/github/app/setup"  # the GitHub App's setup URL (an SPA route)


def spa_url() -> str:
    """Where the SPA (and so the browser callback routes) lives: SPA_URL, else PUBLIC_URL."""
    return (settings.SPA_URL or settings.PUBLIC_URL).rstrip("/")


def spa_callback_uri(path: str) -> str:
    """The absolute URL of an SPA callback route, as registered with the provider."""
    return spa_url() + path
