"""Production settings refuse to start without secrets, and pass `check --deploy` cleanly."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "backend.settings",
    "DJANGO_ENV_FILE": "",  # not the developer's local .env (make run writes one)
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "p" * 20 + "-production-like-secret-key-with-enough-entropy-1234567890",
    "TOKEN_ENCRYPTION_KEYS": "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdDA=",
    "ALLOWED_HOSTS": "bridge.example.com",
    "PUBLIC_URL": "https://bridge.example.com",
    "DATABASE_URL": "sqlite:////tmp/oauth-bridge-deploy-check.sqlite3",
    "STAFF_GITHUB_LOGINS": "583231",  # the deploy recipe names its staff (else W002)
}


def manage(*args, env_overrides=None, drop=()):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "TOKEN_ENCRYPTION", "SECURE_", "SESSION_COOKIE",
                                "CSRF_COOKIE"))}
    env.update(PRODUCTION_ENV)
    env.update(env_overrides or {})
    for name in drop:
        env.pop(name, None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_prints_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "WARNING" not in result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_no_staff_is_set():
    result = manage("check", "--deploy", drop=("STAFF_GITHUB_LOGINS",))
    output = result.stderr + result.stdout
    assert "integrations.W002" in output and "STAFF_GITHUB_LOGINS is empty" in output
    assert "numeric user ids" in output  # the hint says what to set
    empty = manage("check", "--deploy", env_overrides={"STAFF_GITHUB_LOGINS": ""})
    assert "integrations.W002" in empty.stderr + empty.stdout


def test_missing_secrets_stop_startup_naming_every_variable():
    result = manage("check", drop=("DJANGO_SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr and "TOKEN_ENCRYPTION_KEYS" in result.stderr
    assert result.stderr.count("Traceback") <= 1


def test_one_missing_secret_is_named():
    result = manage("check", drop=("TOKEN_ENCRYPTION_KEYS",))
    assert result.returncode != 0
    assert "Missing required environment variables: TOKEN_ENCRYPTION_KEYS" in result.stderr


def test_debug_mode_starts_without_secrets():
    result = manage("check", env_overrides={"DJANGO_DEBUG": "1"},
                    drop=("DJANGO_SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"))
    assert result.returncode == 0, result.stderr


def test_production_defaults_are_secure():
    code = ("from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_CONTENT_TYPE_NOSNIFF, "
            "s.X_FRAME_OPTIONS, s.SESSION_COOKIE_NAME, s.SECURE_SSL_REDIRECT)")
    result = manage("shell", "-v", "0", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "31536000", "True", "DENY",
                                     "__Host-sessionid", "True"]


def test_email_is_configured_from_email_url():
    show = ("from django.conf import settings; m = settings.MAILERS['default']; "
            "print(m['BACKEND'], sorted(m['OPTIONS'].items()))")
    result = manage("shell", "--no-imports", "-c", show, env_overrides={
        "EMAIL_URL": "smtp+tls://mailer:s3cret@smtp.example.com:587"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "django.core.mail.backends.smtp.EmailBackend [('host', 'smtp.example.com'), "
        "('password', 's3cret'), ('port', 587), ('use_tls', True), ('username', 'mailer')]")
    default = manage("shell", "--no-imports", "-c", show)
    assert default.stdout.startswith("django.core.mail.backends.smtp.EmailBackend"), \
        "production never defaults to the console"
def test_a_staff_login_under_production_settings_warns_at_start_up():
    """Issue 16 item 9: logins can be renamed and re-registered; ids cannot."""
    result = manage("check", "--deploy", env_overrides={"STAFF_GITHUB_LOGINS": "583231,mona"})
    output = result.stderr + result.stdout
    assert "integrations.W001" in output and "mona" in output
    assert output.count("STAFF_GITHUB_LOGINS names GitHub logins (mona)") == 2  # log + check
    ids_only = manage("check", "--deploy", "--fail-level", "WARNING",
                      env_overrides={"STAFF_GITHUB_LOGINS": "583231"})
    assert ids_only.returncode == 0, ids_only.stderr + ids_only.stdout
    assert "STAFF_GITHUB_LOGINS" not in ids_only.stderr + ids_only.stdout
