"""System checks: a bad token key fails `manage.py check` (and start-up), not the first sign-in."""

from django.core.checks import Error, register

from integrations.crypto import valid_keys


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
