"""Settings, read from the environment (12-factor); a `.env` file is read if present.

Production-safe by default: DEBUG is off, and without debug the secrets must be set.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from backend.conf.cors import browser_settings
from backend.conf.csp import content_security_policy
from backend.conf.logging import build_logging
from backend.run_env import apply_run_env, run_env_path

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# `.env` is read if present (variables already in the environment win); DJANGO_ENV_FILE names
# another file, or "" for none (the production-settings tests run without the local one).
ENV_FILE = os.environ.get("DJANGO_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    environ.Env.read_env(ENV_FILE, overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:  # beside `make run`: the sandbox settings it gave its server (backend/run_env.py)
    apply_run_env(run_env_path(BASE_DIR))


def _required_secrets() -> dict[str, str]:
    """Read the secrets that have no safe default; name every missing one at once."""
    names = ("DJANGO_SECRET_KEY", "TOKEN_ENCRYPTION_KEYS")
    values = {name: env.str(name, default="") for name in names}
    missing = [name for name, value in values.items() if not value]
    if missing and not DEBUG:
        raise ImproperlyConfigured(
            "Missing required environment variables: "
            + ", ".join(missing)
            + " (set them, or DJANGO_DEBUG=1 for local development)."
        )
    return values


_secrets = _required_secrets()
# Debug-only fallbacks: never used when DEBUG is off (the check above refuses to start).
SECRET_KEY = _secrets["DJANGO_SECRET_KEY"] or "django-insecure-debug-only-key-" + "x" * 40
TOKEN_ENCRYPTION_KEYS = [
    key.strip() for key in _secrets["TOKEN_ENCRYPTION_KEYS"].split(",") if key.strip()
] or ["ZGVidWctb25seS1rZXktZGVidWctb25seS1rZXktMDA="]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
PUBLIC_URL = env.str("PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "backend.admin_site.BridgeAdminConfig",  # django.contrib.admin, for chosen accounts only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "corsheaders",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "solo",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    "integrations",
    "automations",
    "api",
]

MIDDLEWARE = [
    # First, so every response (redirects and errors too) carries X-Request-ID and is logged.
    "backend.observability.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before anything that may answer (CommonMiddleware)
    "api.middleware.UriLengthLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "api.middleware.NoStoreApiMiddleware",
    "api.middleware.DatabaseUnavailableMiddleware",  # a lost database: 503, not 500
    "api.middleware.ProviderConcurrencyLimit",
]

# Longer URLs get a JSON 414 (api.middleware); gunicorn must allow request lines this long.
MAX_URI_CHARS = env.int("MAX_URI_CHARS", default=4096)

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let concurrent requests (racing callbacks) wait instead of failing.
    # synchronous=NORMAL: in WAL mode a commit no longer waits for fsync (writes hold the one
    # write lock ~1 ms less each); the file cannot be corrupted, but a power cut or OS crash may
    # lose the last commits (an application crash loses nothing).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# Each server thread keeps its database connection between requests (opening one costs more than
# serving /me), checked before reuse; `?conn_max_age=0` in DATABASE_URL turns it off.
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ModelBackend (passwords: the admin) whose session user brings its GitHub account along.
# GitHub sign-ins log in with SessionUserBackend (one query per request for user + account);
# ModelBackend checks admin passwords and keeps sessions made before the first one valid.
AUTHENTICATION_BACKENDS = ["api.authentication.SessionUserBackend",
                           "django.contrib.auth.backends.ModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "frontend"]
# Uploaded images: backend/settings_media.py (MEDIA_ROOT, or object storage by setting).
from backend.settings_media import *  # noqa: E402, F403

STORAGES = {
    "default": MEDIA_STORAGE,  # noqa: F405
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve from the finders too, so tests and `runserver` work without collectstatic.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
WHITENOISE_MANIFEST_STRICT = False

# --- Security headers and cookies -------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_ENGINE = "backend.sessions"  # Django's database sessions (see backend/sessions.py)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # a same-origin SPA reads it to send X-CSRFToken
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)

_secure = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_secure)
# SPA_URL, CORS, CSRF_TRUSTED_ORIGINS and the cookies' Secure / SameSite / Domain / name.
globals().update(browser_settings(env, public_url=PUBLIC_URL, secure=_secure))
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _secure
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_secure)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    # Only behind a proxy that overwrites X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# --- Providers (read lazily by integrations.config) --------------------------------------------
GITHUB_CLIENT_ID = env.str("GITHUB_CLIENT_ID", default="")
GITHUB_CLIENT_SECRET = env.str("GITHUB_CLIENT_SECRET", default="")
GITHUB_URL = env.str("GITHUB_URL", default="https://github.com").rstrip("/")
GITHUB_API_URL = env.str("GITHUB_API_URL", default="https://api.github.com").rstrip("/")
GITHUB_SCOPES = env.str("GITHUB_SCOPES", default="read:user user:email").split()
# GitHub App mode of automations (all optional: unset, the mode is absent). The key is the PEM
# itself ("\n" escapes allowed) or a file naming it; integrations.checks validates both at start.
GITHUB_APP_ID = env.str("GITHUB_APP_ID", default="")
GITHUB_APP_SLUG = env.str("GITHUB_APP_SLUG", default="")
GITHUB_APP_WEBHOOK_SECRET = env.str("GITHUB_APP_WEBHOOK_SECRET", default="")
GITHUB_APP_PRIVATE_KEY = env.str("GITHUB_APP_PRIVATE_KEY", default="").replace("\\n", "\n")
GITHUB_APP_PRIVATE_KEY_FILE = env.str("GITHUB_APP_PRIVATE_KEY_FILE", default="")
STAFF_GITHUB_LOGINS = [login.lower() for login in env.list("STAFF_GITHUB_LOGINS", default=[])]
# Besides superusers, the usernames allowed into /admin/ (they must be staff too). A GitHub
# sign-in's username is `github-<numeric id>`; staff from STAFF_GITHUB_LOGINS get no admin.
ADMIN_SITE_USERS = env.list("ADMIN_SITE_USERS", default=[])
FACEBOOK_APP_ID = env.str("FACEBOOK_APP_ID", default="")
FACEBOOK_APP_SECRET = env.str("FACEBOOK_APP_SECRET", default="")
FACEBOOK_URL = env.str("FACEBOOK_URL", default="https://www.facebook.com").rstrip("/")
FACEBOOK_GRAPH_URL = env.str("FACEBOOK_GRAPH_URL", default="https://graph.facebook.com").rstrip("/")
FACEBOOK_GRAPH_VERSION = env.str("FACEBOOK_GRAPH_VERSION", default="v25.0")
# Strict CSP for every HTML page: no inline script, no outside origin (the SPA is plain modules);
# images also from the configured GitHub's avatar host (backend/conf/csp.py) and CSP_EXTRA_IMG_SRC.
CSP_EXTRA_IMG_SRC = env.list("CSP_EXTRA_IMG_SRC", default=[])
SECURE_CSP = content_security_policy(github_url=GITHUB_URL, extra_img=CSP_EXTRA_IMG_SRC)
FACEBOOK_SCOPES = env.list(
    "FACEBOOK_SCOPES", default=["pages_show_list", "pages_read_engagement", "pages_manage_posts"]
)
# How old a Facebook signed_request (deauthorize, data deletion) may be; older ones are refused.
FACEBOOK_SIGNED_REQUEST_MAX_AGE_S = env.int("FACEBOOK_SIGNED_REQUEST_MAX_AGE_S", default=3600)
APP_REDIRECT_URIS = env.list("APP_REDIRECT_URIS", default=[])
PROVIDER_TIMEOUT_S = (
    env.float("PROVIDER_CONNECT_TIMEOUT_S", default=3.05),
    env.float("PROVIDER_READ_TIMEOUT_S", default=10.0),
)
OAUTH_STATE_TTL_S = env.int("OAUTH_STATE_TTL_S", default=600)
# Requests waiting on a provider at once, per server process; more answer 503 provider_busy at
# once so a slow provider cannot take every thread (gunicorn.conf.py sets it to threads / 2).
PROVIDER_CONCURRENCY = env.int("PROVIDER_CONCURRENCY", default=8)

# --- DRF, knox, OpenAPI ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "api.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ContentNegotiation",
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONObjectParser"],  # a JSON object, or 400
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # Views opt in with `throttle_scope`; rates below (env-configurable), per client IP.
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.ScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "oauth_start": env.str("THROTTLE_OAUTH_START", default="30/min"),
        "oauth_callback": env.str("THROTTLE_OAUTH_CALLBACK", default="30/min"),
        "page_post": env.str("THROTTLE_PAGE_POST", default="30/min"),
        "media_upload": env.str("THROTTLE_MEDIA_UPLOAD", default="30/min"),
        "provider_callback": env.str("THROTTLE_PROVIDER_CALLBACK", default="60/min"),
    },
    # Client IP from REMOTE_ADDR unless a known number of proxies sits in front (S34).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=720)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "OAuth Bridge API",
    "DESCRIPTION": (
        "JSON API for Sign in with GitHub (single-page and mobile apps) and staff-only Facebook "
        "Page linking. Browsers authenticate with the session cookie and send the CSRF token "
        "(from `GET /api/v1/auth/csrf`, or the CSRF cookie on the API's own origin) in the "
        "`X-CSRFToken` header on unsafe methods; origins in CORS_ALLOWED_ORIGINS may do so "
        "cross-origin with credentials. Apps send `Authorization: Token <token>`. "
        "Every error has the shape `{code, message, fields?, retry_after?}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVERS": [{"url": PUBLIC_URL}],
    # Enums as components (drf-spectacular's default), then the OpenAPI links (api/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "api.schema.add_links"],
    "ENUM_NAME_OVERRIDES": {"HookModeEnum": "automations.models.HookMode",
                            # A post's status, and a delivery's post_status: one enum.
                            "PagePostStatusEnum": "integrations.models.PagePostStatus",
                            # Readiness: each check (tasks, cache) is ok or unavailable.
                            "CheckStateEnum": ["ok", "unavailable"],
                            # Where a post goes (posts' and automations' targets).
                            "PostTargetEnum": ["facebook", "instagram"]},
}

# Throttle counters and short validity checks: in memory (one process, `make run`), or on Redis
# shared by every process and host (REDIS_URL). Redis down fails open: see backend/cache.py.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "backend.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="oauth-bridge"),
        "OPTIONS": {"timeout_s": env.float("REDIS_TIMEOUT_S", default=0.5)},
    }

# The signed-in principal comes from one prepared query (api.authentication), which costs no
# more CPU than reading it from Redis (bench_api), and is never stale. Deployments whose database
# is the bottleneck can keep it in the shared cache instead (api.principal); never with the
# in-memory cache and several processes (each would keep serving a revoked permission). Tests
# (one process) turn it on over the in-memory cache.
PRINCIPAL_CACHE = env.bool("PRINCIPAL_CACHE", default=False)

LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = build_logging(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))

# --- Metrics -----------------------------------------------------------------------------------
# /metrics exists only when set; scrapers send `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Background work (task queue, retries, token warnings, email): backend/settings_tasks.py.
from backend.settings_tasks import *  # noqa: E402, F403
