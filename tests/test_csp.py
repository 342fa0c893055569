"""The CSP's img-src follows the configured GitHub: the backend's policy and a built SPA's
`_headers` allow that GitHub's avatars, whichever it is (github.com, GHES, the sandbox)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.conf.csp import avatar_origins

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("github_url", "origins"), [
    ("https://github.com", ["https://avatars.githubusercontent.com"]),
    ("https://ghe.example.com", ["https://ghe.example.com", "https://avatars.ghe.example.com"]),
    ("http://127.0.0.1:8765/github", ["http://127.0.0.1:8765"]),
    ("http://localhost:8765/github", ["http://localhost:8765"]),
])
def test_avatar_origins_follow_the_github_host(github_url, origins):
    assert avatar_origins(github_url) == origins


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("GITHUB_URL", "CSP_EXTRA_IMG_SRC")}


def settings_csp(**env) -> dict:
    """SECURE_CSP as a fresh process reads it from this environment."""
    clean = clean_env()
    code = ("import django, json; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.SECURE_CSP))")
    answer = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True,
                            env={**clean, "DJANGO_SETTINGS_MODULE": "tests.settings", **env})
    return json.loads(answer.stdout)


def test_the_backend_policy_allows_the_configured_github_s_avatars():
    assert settings_csp()["img-src"] == [
        "'self'", "data:", "https://avatars.githubusercontent.com"]
    sandbox = settings_csp(GITHUB_URL="http://127.0.0.1:8765/github",
                           CSP_EXTRA_IMG_SRC="https://cdn.example.com")
    assert sandbox["img-src"] == [
        "'self'", "data:", "http://127.0.0.1:8765", "https://cdn.example.com"]
    assert "https://avatars.githubusercontent.com" not in sandbox["img-src"]
    assert sandbox["script-src"] == ["'self'"] and sandbox["frame-ancestors"] == ["'none'"]


def test_a_built_spa_allows_the_avatars_of_the_github_configured_at_build_time(tmp_path):
    # `manage.py build_spa` beside `make run`: the sandbox is the GitHub, so its avatars must
    # show on the static host too, with no CSP_EXTRA_IMG_SRC set for the command.
    for github_url, img_src in (
            ("http://127.0.0.1:8765/github", "img-src 'self' data: http://127.0.0.1:8765;"),
            ("https://github.com", "img-src 'self' data: https://avatars.githubusercontent.com;")):
        output = tmp_path / github_url.split("/")[2]
        subprocess.run(
            [sys.executable, "manage.py", "build_spa", "--api-url", "https://api.example.com",
             "--output", str(output)], cwd=ROOT, capture_output=True, timeout=60, check=True,
            env={**clean_env(), "DJANGO_SETTINGS_MODULE": "tests.settings",
                 "GITHUB_URL": github_url})
        assert img_src in (output / "_headers").read_text()
