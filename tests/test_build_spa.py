"""`manage.py build_spa`: a deployable folder for a static host."""

import pytest
from django.core.management import CommandError, call_command

from backend.spa_build import FRONTEND


def test_build_writes_the_shell_assets_config_and_host_files(tmp_path):
    output = tmp_path / "site"
    call_command("build_spa", "--api-url", "https://api.example.com/", "--output", str(output))
    index = (output / "index.html").read_text()
    assert "{%" not in index and "{{" not in index
    assert 'src="/static/capture.js"' in index and 'src="/static/app.js"' in index
    assert 'href="https://api.example.com/api/v1/docs"' in index
    assert (output / "static" / "config.js").read_text().endswith(
        'export const API_URL = "https://api.example.com";\n')
    for asset in FRONTEND.rglob("*.js"):
        if asset.name != "config.js":
            relative = asset.relative_to(FRONTEND)
            assert (output / "static" / relative).read_bytes() == asset.read_bytes()
    headers = (output / "_headers").read_text()
    assert "connect-src 'self' https://api.example.com;" in headers
    assert "/auth/github/callback\n  Cache-Control: no-cache\n  Referrer-Policy: no-referrer" \
        in headers
    assert "/profile /index.html 200" in (output / "_redirects").read_text()


def test_a_rebuild_replaces_the_earlier_build(tmp_path):
    call_command("build_spa", "--api-url", "https://a.example.com", "--output", str(tmp_path))
    call_command("build_spa", "--api-url", "https://b.example.com", "--output", str(tmp_path))
    assert "b.example.com" in (tmp_path / "static" / "config.js").read_text()


def test_refuses_a_folder_that_is_not_an_earlier_build(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(CommandError, match="not an earlier build"):
        call_command("build_spa", "--api-url", "https://a.example.com", "--output", str(tmp_path))
    assert (tmp_path / "keep.txt").exists()


def test_refuses_an_api_url_that_is_not_http(tmp_path):
    with pytest.raises(CommandError, match="Not an http"):
        call_command("build_spa", "--api-url", "api.example.com", "--output", str(tmp_path / "x"))
