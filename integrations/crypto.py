"""Provider tokens at rest: Fernet (AES-128-CBC + HMAC) with key rotation.

`TOKEN_ENCRYPTION_KEYS` lists Fernet keys newest first: new values are encrypted with the first,
old values still decrypt with any. The key is separate from SECRET_KEY on purpose (S25).
"""

import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

logger = logging.getLogger(__name__)


def _fernet() -> MultiFernet:
    keys = settings.TOKEN_ENCRYPTION_KEYS
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(generate one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`)."
        ) from exc


def valid_keys() -> bool:
    try:
        _fernet()
    except ImproperlyConfigured:
        return False
    return True


def encrypt_token(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_token(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored token cannot be decrypted with TOKEN_ENCRYPTION_KEYS: "
            "keep retired keys in the list until `manage.py rotate_token_keys` has run."
        ) from exc


def mask_token(value: str | None) -> str:
    """What people may see of a token: its length class and last four characters."""
    if not value:
        return "—"
    return "••••" + value[-4:] if len(value) > 12 else "••••"


class EncryptedTextField(models.TextField):
    """A TextField whose database value is Fernet ciphertext; Python sees the plaintext."""

    description = "Text encrypted at rest with TOKEN_ENCRYPTION_KEYS"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return None
        try:
            return decrypt_token(value)
        except ImproperlyConfigured:
            # A key was dropped before `rotate_token_keys` ran: the token is lost, not the
            # row. Callers treat a missing token as "relink needed"; sign-in overwrites it.
            logger.error("a stored %s cannot be decrypted with TOKEN_ENCRYPTION_KEYS",
                         self.name)
            return None

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None or value == "" else encrypt_token(value)
