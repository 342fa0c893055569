"""Background work: the task queue, Page-post retries, token warnings, email (imported by
settings.py, reads its own environment)."""

import environ

env = environ.Env()

# The queue lives in our own database (django-tasks-db): no extra server. `manage.py db_worker`
# runs the tasks; on PostgreSQL several workers share the queue (SELECT … SKIP LOCKED).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Page posts: transient Graph failures are retried with exponential backoff and full jitter.
PAGE_POST_MAX_ATTEMPTS = env.int("PAGE_POST_MAX_ATTEMPTS", default=5)
PAGE_POST_RETRY_BASE_S = env.float("PAGE_POST_RETRY_BASE_S", default=30.0)
PAGE_POST_RETRY_MAX_S = env.float("PAGE_POST_RETRY_MAX_S", default=3600.0)
# A post still `pending` after this was abandoned by a dead process: the sweep reconciles it.
PAGE_POST_STALE_AFTER_S = env.float("PAGE_POST_STALE_AFTER_S", default=60.0)
# After an unknown outcome, Graph is read for the post until this long after the attempt; not
# found by then means it was not published (see README, "Page posts that recover").
PAGE_POST_RECONCILE_WINDOW_S = env.float("PAGE_POST_RECONCILE_WINDOW_S", default=300.0)
PAGE_POST_RECONCILE_DELAY_S = env.float("PAGE_POST_RECONCILE_DELAY_S", default=20.0)

# Revoking GitHub tokens and grants (account deletion, a failed sign-in, scopes nobody asked
# for): retried on the worker with the same backoff, then shown as failed in the admin.
REVOCATION_MAX_ATTEMPTS = env.int("REVOCATION_MAX_ATTEMPTS", default=8)
REVOCATION_RETRY_BASE_S = env.float("REVOCATION_RETRY_BASE_S", default=60.0)
REVOCATION_RETRY_MAX_S = env.float("REVOCATION_RETRY_MAX_S", default=6 * 3600.0)

# Tokens expiring within this many days (or invalid) are reported to staff, once per threshold.
TOKEN_EXPIRY_WARNING_DAYS = env.int("TOKEN_EXPIRY_WARNING_DAYS", default=7)
# Finished task results older than this are pruned by `manage.py sweep`.
TASK_RESULTS_KEEP_DAYS = env.int("TASK_RESULTS_KEEP_DAYS", default=14)

# Email (token warnings): EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587
# (django-environ's syntax). Without it: printed on the console in debug (make run), else the
# local mail server (Django's own default).
_DEBUG = env.bool("DJANGO_DEBUG", default=False)
_email = env.email_url("EMAIL_URL", default="consolemail://" if _DEBUG else "smtp://localhost:25")
_SMTP_OPTIONS = {"EMAIL_HOST": "host", "EMAIL_PORT": "port", "EMAIL_HOST_USER": "username",
                 "EMAIL_HOST_PASSWORD": "password", "EMAIL_USE_TLS": "use_tls",
                 "EMAIL_USE_SSL": "use_ssl"}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {option: _email[name] for name, option in _SMTP_OPTIONS.items()
                    if _email.get(name) not in (None, "")}
        if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="oauth-bridge@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
