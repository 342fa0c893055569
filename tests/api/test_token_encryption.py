"""Provider tokens at rest: Fernet ciphertext, key rotation without losing a token."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from integrations.models import GitHubAccount
from tests.fixtures.github import ACCESS_TOKEN, REFRESH_TOKEN, expiring_token_body, sign_in

pytestmark = pytest.mark.django_db


def stored_ciphertexts() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_githubaccount")
        return cursor.fetchall()


def test_rotation_reencrypts_with_the_newest_key_so_the_old_one_can_go(
        api_client, github, settings):
    sign_in(api_client, github, token_body=expiring_token_body())
    old_key, new_key = settings.TOKEN_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    before = stored_ciphertexts()

    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]  # new key first, old kept
    out = io.StringIO()
    call_command("rotate_token_keys", stdout=out)
    assert "2 rows" in out.getvalue()  # the account and the flow row (verifier already gone)
    after = stored_ciphertexts()
    assert after != before

    settings.TOKEN_ENCRYPTION_KEYS = [new_key]  # the old key is dropped
    account = GitHubAccount.objects.get()
    assert account.access_token == ACCESS_TOKEN
    assert account.refresh_token == REFRESH_TOKEN
    assert Fernet(new_key).decrypt(after[0][0].encode()).decode() == ACCESS_TOKEN


def test_a_malformed_key_is_a_clear_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    from integrations.crypto import encrypt_token

    settings.TOKEN_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="TOKEN_ENCRYPTION_KEYS"):
        encrypt_token("x")


def test_system_check_refuses_malformed_keys(settings):
    from integrations.checks import check_token_encryption_keys

    settings.TOKEN_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    [error] = check_token_encryption_keys(None)
    assert error.id == "integrations.E001"
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert check_token_encryption_keys(None) == []
