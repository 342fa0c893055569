"""System checks: a bad token key fails `manage.py check` (and start-up), not the first sign-in;
a GitHub login (not a numeric id) in STAFF_GITHUB_LOGINS is warned about in production."""

import logging

from django.conf import settings
from django.core.checks import Error, Warning, register

from integrations.config import GITHUB_APP_KEY_SETTINGS, GITHUB_APP_SETTINGS
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


def warn_about_staff_logins() -> None:
    """At start-up under production settings (DEBUG off): the same warning, in the log."""
    logins = staff_logins()
    if logins and not settings.DEBUG:
        logger.warning(STAFF_LOGIN_WARNING.format(logins=", ".join(logins)))


@register()
def check_github_app(app_configs, **kwargs):
    """GitHub App mode: all of it or none of it, and a key that loads (never a 500 later)."""
    names = (*GITHUB_APP_SETTINGS, *GITHUB_APP_KEY_SETTINGS)
    present = {name for name in names if str(getattr(settings, name, "") or "").strip()}
    if not present:
        return []
    errors = []
    missing = [name for name in GITHUB_APP_SETTINGS if name not in present]
    if missing:
        errors.append(Error(f"GitHub App mode is half configured: set {', '.join(missing)} "
                            "too, or unset every GITHUB_APP_* variable.", id="integrations.E010"))
    if not present & set(GITHUB_APP_KEY_SETTINGS):
        errors.append(Error("GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE) is required "
                            "for GitHub App mode.", id="integrations.E011"))
        return errors
    problem = _app_key_problem()
    if problem:
        errors.append(Error(problem, hint="Download a private key from the app's settings "
                            "(General → Private keys) and give the PEM as is.",
                            id="integrations.E012"))
    return errors


def _app_key_problem() -> str | None:
    """What is wrong with the configured app key, naming the variable (never its value)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from integrations.config import github_app_private_key

    name = ("GITHUB_APP_PRIVATE_KEY" if str(settings.GITHUB_APP_PRIVATE_KEY or "").strip()
            else "GITHUB_APP_PRIVATE_KEY_FILE")
    try:
        pem = github_app_private_key()
    except OSError as exc:
        return f"{name} names a file that cannot be read ({exc.strerror})."
    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        return f"{name} is not a PEM private key (unencrypted, as GitHub gives it)."
    if not isinstance(key, rsa.RSAPrivateKey):
        return f"{name} is not an RSA key: GitHub Apps sign their JWT with RS256."
    return None
