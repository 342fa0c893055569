"""Where the SPA lives, which other origins may call the API with cookies, and the cookie shape.

Deployment shapes (README "Integration modes"):
- same origin: the backend serves the SPA; nothing to set.
- same site, another origin (app.example.com + api.example.com, or another port): SPA_URL (its
  origin joins CORS_ALLOWED_ORIGINS); SameSite=Lax still works. SESSION_/CSRF_COOKIE_DOMAIN
  only when another host must see the cookies itself (our SPA does not: it asks /auth/csrf).
- cross site (app.example.net + api.example.com): also COOKIE_SAMESITE=None, which needs HTTPS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import environ
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

SAMESITE_CHOICES = ("Lax", "Strict", "None")
# Headers the SPA reads from cross-origin answers (CORS hides all but the safelisted ones).
EXPOSE_HEADERS = ["Retry-After"]
# Request headers a cross-origin caller may send: the defaults (Content-Type, X-CSRFToken,
# Authorization...) and the Page post's Idempotency-Key.
ALLOW_HEADERS = [*default_headers, "idempotency-key"]


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL: what browsers send in Origin."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"Not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def browser_settings(env: environ.Env, *, public_url: str, secure: bool) -> dict[str, object]:
    """The SPA, CORS, CSRF-origin and cookie settings, read from the environment."""
    spa_url = env.str("SPA_URL", default="").rstrip("/")
    listed = [origin_of(o) for o in env.list("CORS_ALLOWED_ORIGINS", default=[])]
    # The SPA's own origin, when it is not the API's, must be allowed: it joins the list.
    spa_origin = [origin_of(spa_url)] if spa_url else []
    cors_origins = [o for o in dict.fromkeys([*spa_origin, *listed]) if o != origin_of(public_url)]
    trusted = list(dict.fromkeys([origin_of(public_url), *cors_origins]))
    session_secure = env.bool("SESSION_COOKIE_SECURE", default=secure)
    csrf_secure = env.bool("CSRF_COOKIE_SECURE", default=secure)
    samesite = env.str("COOKIE_SAMESITE", default="Lax")
    if samesite not in SAMESITE_CHOICES:
        raise ImproperlyConfigured(f"COOKIE_SAMESITE must be one of {', '.join(SAMESITE_CHOICES)}.")
    if samesite == "None" and not (session_secure and csrf_secure):
        # Browsers drop SameSite=None cookies that are not Secure.
        raise ImproperlyConfigured("COOKIE_SAMESITE=None needs Secure cookies (HTTPS).")
    session_domain = env.str("SESSION_COOKIE_DOMAIN", default="") or None
    csrf_domain = env.str("CSRF_COOKIE_DOMAIN", default="") or None
    return {
        # Empty: the SPA is served by this backend at PUBLIC_URL (integrations.redirects.spa_url).
        "SPA_URL": spa_url,
        "CORS_ALLOWED_ORIGINS": cors_origins,
        "CORS_ALLOW_CREDENTIALS": True,
        "CORS_URLS_REGEX": r"^/api/",
        "CORS_PREFLIGHT_MAX_AGE": env.int("CORS_PREFLIGHT_MAX_AGE", default=3600),
        "CORS_EXPOSE_HEADERS": EXPOSE_HEADERS,
        "CORS_ALLOW_HEADERS": ALLOW_HEADERS,
        # Django's CSRF check compares Origin with these: the SPA's origin must be trusted.
        "CSRF_TRUSTED_ORIGINS": list(dict.fromkeys(
            [*trusted, *env.list("CSRF_TRUSTED_ORIGINS", default=[])])),
        "SESSION_COOKIE_SECURE": session_secure,
        "CSRF_COOKIE_SECURE": csrf_secure,
        "SESSION_COOKIE_SAMESITE": samesite,
        "CSRF_COOKIE_SAMESITE": samesite,
        "SESSION_COOKIE_DOMAIN": session_domain,
        "CSRF_COOKIE_DOMAIN": csrf_domain,
        "SESSION_COOKIE_NAME": cookie_name("sessionid", secure=session_secure,
                                           domain=session_domain),
        "CSRF_COOKIE_NAME": cookie_name("csrftoken", secure=csrf_secure, domain=csrf_domain),
    }


def cookie_name(name: str, *, secure: bool, domain: str | None) -> str:
    """`__Host-` pins a cookie to this host, HTTPS and Path=/ (no cookie tossing); a cookie with a
    Domain cannot have it, so it falls back to `__Secure-` (HTTPS only, shared with subdomains)."""
    if not secure:
        return name
    return f"__Secure-{name}" if domain else f"__Host-{name}"
