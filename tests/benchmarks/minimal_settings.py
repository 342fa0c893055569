"""Benchmark only: a minimal Django project, the baseline a user would compare the API with.

What `django-admin startproject` gives a JSON view that reads the session user, and nothing of
the product: the auth, contenttypes, sessions and messages apps; session, CSRF, auth and
messages middleware; database sessions and ModelBackend. It shares the product's database file
and connection settings (persistent connections with health checks: a project tuned that far
is what we compare with, not one opening a connection per request) and its secret key, so a
user and session made by the benchmark read the same rows. bench_api serves it with the repo's
gunicorn.conf.py beside the product.
"""

import environ

env = environ.Env()

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.benchmarks.minimal_urls"
WSGI_APPLICATION = "backend.wsgi.application"
DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # as backend/settings.py
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
SESSION_COOKIE_NAME = "minimal_sessionid"
