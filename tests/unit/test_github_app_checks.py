"""The GitHub App settings are checked at start: a bad key names its variable (never a 500
on the first webhook)."""

import pytest

from automations.checks import check_github_app
from tests.unit.test_github_app_client import PEM

APP = {"GITHUB_APP_ID": "424242", "GITHUB_APP_SLUG": "bridge-app",
       "GITHUB_APP_WEBHOOK_SECRET": "s3cret"}


@pytest.fixture
def app_settings(settings):
    for name in ("GITHUB_APP_ID", "GITHUB_APP_SLUG", "GITHUB_APP_WEBHOOK_SECRET",
                 "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_FILE"):
        setattr(settings, name, "")
    return settings


def test_no_app_settings_is_fine(app_settings):
    assert check_github_app(None) == []


def test_a_valid_key_passes(app_settings):
    for name, value in APP.items():
        setattr(app_settings, name, value)
    app_settings.GITHUB_APP_PRIVATE_KEY = PEM
    assert check_github_app(None) == []


def test_a_malformed_key_names_the_variable(app_settings):
    for name, value in APP.items():
        setattr(app_settings, name, value)
    app_settings.GITHUB_APP_PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nnope\n"
    [error] = check_github_app(None)
    assert error.id == "automations.E012"
    assert "GITHUB_APP_PRIVATE_KEY is not a PEM private key" in error.msg
    assert "nope" not in error.msg


def test_an_unreadable_key_file_names_the_variable(app_settings, tmp_path):
    for name, value in APP.items():
        setattr(app_settings, name, value)
    app_settings.GITHUB_APP_PRIVATE_KEY_FILE = str(tmp_path / "missing.pem")
    [error] = check_github_app(None)
    assert "GITHUB_APP_PRIVATE_KEY_FILE names a file that cannot be read" in error.msg


def test_a_key_file_is_read(app_settings, tmp_path):
    for name, value in APP.items():
        setattr(app_settings, name, value)
    path = tmp_path / "app.pem"
    path.write_text(PEM)
    app_settings.GITHUB_APP_PRIVATE_KEY_FILE = str(path)
    assert check_github_app(None) == []


def test_half_a_configuration_names_what_is_missing(app_settings):
    app_settings.GITHUB_APP_ID = "424242"
    app_settings.GITHUB_APP_PRIVATE_KEY = PEM
    [error] = check_github_app(None)
    assert "GITHUB_APP_SLUG, GITHUB_APP_WEBHOOK_SECRET" in error.msg


def test_the_check_runs_with_djangos_checks(app_settings, db):
    from django.core.checks import run_checks

    for name, value in APP.items():
        setattr(app_settings, name, value)
    app_settings.GITHUB_APP_PRIVATE_KEY = "garbage"
    found = run_checks()
    assert "automations.E012" in {message.id for message in found}
