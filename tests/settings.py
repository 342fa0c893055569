"""Test settings: the production settings, with test values for the required secrets.

Environment variables win (CI sets DATABASE_URL for PostgreSQL).
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-" + "k" * 50)
os.environ.setdefault("TOKEN_ENCRYPTION_KEYS", "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdDA=")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("GITHUB_CLIENT_ID", "test-github-client-id")
os.environ.setdefault("GITHUB_CLIENT_SECRET", "SENTINELCS-github-client-secret")
os.environ.setdefault("FACEBOOK_APP_ID", "100000000000001")
os.environ.setdefault("FACEBOOK_APP_SECRET", "SENTINELAPPSECRET-facebook")
# Generous limits so suites that start many flows are not throttled; throttle tests lower them.
for _scope in ("OAUTH_START", "OAUTH_CALLBACK", "PAGE_POST", "PROVIDER_CALLBACK"):
    os.environ.setdefault(f"THROTTLE_{_scope}", "10000/min")

from backend.settings import *  # noqa: E402, F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# One process: the in-memory cache is shared by every request, so the principal cache (on in
# production with REDIS_URL) is tested everywhere.
PRINCIPAL_CACHE = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: live-server threads and racing requests need real
    # SQLite locking (WAL + busy timeout), which shared-cache memory databases do not honour.
    # One file per test run, so parallel runs on one machine do not share a database.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"/tmp/oauth-bridge-test-{os.getpid()}.sqlite3"
    }

# Persistent connections (production keeps them 60 s) would outlive the threads some tests start
# (racing requests through the test client): PostgreSQL then refuses to drop the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
