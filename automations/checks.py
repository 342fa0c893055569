"""System checks of the GitHub App mode: all of GITHUB_APP_* or none, and a private key that
loads, so a bad key stops `manage.py check` (and start-up) instead of a 500 on first use."""

from django.conf import settings
from django.core.checks import Error, register

from integrations.config import (
    GITHUB_APP_KEY_SETTINGS,
    GITHUB_APP_SETTINGS,
    github_app_private_key,
)


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
                            "too, or unset every GITHUB_APP_* variable.", id="automations.E010"))
    if not present & set(GITHUB_APP_KEY_SETTINGS):
        errors.append(Error("GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE) is required "
                            "for GitHub App mode.", id="automations.E011"))
        return errors
    problem = _app_key_problem()
    if problem:
        errors.append(Error(problem, hint="Download a private key from the app's settings "
                            "(General → Private keys) and give the PEM as is.",
                            id="automations.E012"))
    return errors


def _app_key_problem() -> str | None:
    """What is wrong with the configured app key, naming the variable (never its value)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

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
