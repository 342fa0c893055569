"""The Content-Security-Policy of every HTML page: nothing but this origin, except the images a
page shows from a provider, whose hosts follow from the configured provider URLs.

The SPA shows the GitHub avatar (`avatar_url` of `/user`). GitHub serves it from
avatars.githubusercontent.com; GitHub Enterprise Server from its own host (`/avatars/…`, or an
`avatars.` subdomain with subdomain isolation); the sandbox from its own origin. Deriving the
host here, rather than listing it by hand, keeps the backend's policy and a built SPA's `_headers`
(`manage.py build_spa`) right for whichever GitHub is configured.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.utils.csp import CSP

from backend.conf.cors import origin_of

GITHUB_AVATARS = "https://avatars.githubusercontent.com"


def avatar_origins(github_url: str) -> list[str]:
    """The origins the GitHub at `github_url` serves avatars from."""
    parts = urlsplit(github_url)
    if parts.hostname == "github.com":
        return [GITHUB_AVATARS]
    own = origin_of(github_url)
    if parts.scheme == "https" and not _is_ip(parts.hostname or ""):
        return [own, f"https://avatars.{parts.netloc}"]  # GHES with subdomain isolation
    return [own]


def image_sources(*, github_url: str, extra: list[str]) -> list[str]:
    """`img-src`: this origin, data: URLs (inline icons), the avatar hosts, then `extra`."""
    sources = [CSP.SELF, "data:", *avatar_origins(github_url), *extra]
    return list(dict.fromkeys(sources))


def content_security_policy(*, github_url: str, extra_img: list[str]) -> dict[str, list[str]]:
    """SECURE_CSP: strict (no inline script, no outside origin, no framing)."""
    return {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF],
        "style-src": [CSP.SELF],
        "img-src": image_sources(github_url=github_url, extra=extra_img),
        "connect-src": [CSP.SELF],
        "object-src": [CSP.NONE],
        "base-uri": [CSP.NONE],
        "frame-ancestors": [CSP.NONE],
        "form-action": [CSP.SELF],
    }


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return True
