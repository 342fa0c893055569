"""System checks: a bad token key fails `manage.py check` (and start-up), not the first sign-in;
`check --deploy` warns about a GitHub login (not a numeric id) in STAFF_GITHUB_LOGINS, and about
an empty STAFF_GITHUB_LOGINS (nobody would reach the Facebook features); a METRICS_TOKEN short
enough to guess is warned about."""

import logging

from django.conf import settings
from django.core.checks import Error, Warning, register

from integrations.crypto import valid_keys

logger = logging.getLogger("integrations.staff")
STAFF_LOGIN_WARNING = (
    "STAFF_GITHUB_LOGINS names GitHub logins ({logins}), not numeric user ids: a login can be "
    "renamed and then registered by someone else, who would become staff. Use the ids "
    "(https://api.github.com/users/<login> shows `id`).")


@register()
def check_token_encryption_keys(app_configs, **kwargs):
    if valid_keys():
        return []
    return [Error(
        "TOKEN_ENCRYPTION_KEYS must be comma-separated Fernet keys (newest first).",
        hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
             "print(Fernet.generate_key().decode())'",
        id="integrations.E001",
    )]


METRICS_TOKEN_MIN_CHARS = 32


@register()
def check_metrics_token_length(app_configs, **kwargs):
    token = settings.METRICS_TOKEN
    if not token or len(token) >= METRICS_TOKEN_MIN_CHARS:
        return []
    return [Warning(
        f"METRICS_TOKEN is {len(token)} characters long: anyone who guesses it reads /metrics. "
        f"Use at least {METRICS_TOKEN_MIN_CHARS} random characters.",
        hint="Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
        id="integrations.W003",
    )]


def staff_logins() -> list[str]:
    """The STAFF_GITHUB_LOGINS entries that are logins rather than numeric ids."""
    return [entry for entry in settings.STAFF_GITHUB_LOGINS if not entry.isdigit()]


@register(deploy=True)
def check_staff_list_uses_ids(app_configs, **kwargs):
    logins = staff_logins()
    if not logins:
        return []
    return [Warning(STAFF_LOGIN_WARNING.format(logins=", ".join(logins)),
                    id="integrations.W001")]


NO_STAFF_WARNING = (
    "STAFF_GITHUB_LOGINS is empty: nobody is made staff at sign-in, so nobody can link the "
    "Facebook Page, post to it or manage automations.")
NO_STAFF_HINT = (
    "Set STAFF_GITHUB_LOGINS to the GitHub numeric user ids of your staff "
    "(https://api.github.com/users/<login> shows `id`). If you grant staff status and the "
    "Page permission in the admin instead, add integrations.W002 to SILENCED_SYSTEM_CHECKS.")


@register(deploy=True)
def check_staff_list_is_set(app_configs, **kwargs):
    if settings.STAFF_GITHUB_LOGINS:
        return []
    return [Warning(NO_STAFF_WARNING, hint=NO_STAFF_HINT, id="integrations.W002")]


def warn_about_staff_logins() -> None:
    """At start-up under production settings (DEBUG off): the same warning, in the log."""
    logins = staff_logins()
    if logins and not settings.DEBUG:
        logger.warning(STAFF_LOGIN_WARNING.format(logins=", ".join(logins)))
