"""`make run`'s development server keeps query strings out of its terminal log (S24, issue 16
item 11): the real `manage.py runserver` in a subprocess, real requests, its real output."""

import subprocess
import sys
import time

import pytest
import requests

from tests.fixtures.processes import free_port, stop_process
from tests.fixtures.servers import ROOT, development_env

SECRETS = ("SENTINELCODE", "SENTINELSTATE", "SENTINELTOKEN")

pytestmark = pytest.mark.e2e


@pytest.fixture
def dev_server(tmp_path):
    """runserver as `make run` starts it (settings from backend.settings, DEBUG on)."""
    port = free_port()
    env = development_env(tmp_path / "db.sqlite3", PYTHONUNBUFFERED="1")
    output = tmp_path / "server.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks",
             f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(base + "/api/v1/health", timeout=2)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(output.read_text()) from None
                time.sleep(0.2)
        yield base, output
    finally:
        stop_process(process)


def test_access_log_redacts_callback_codes_and_tokens(dev_server):
    base, output = dev_server
    for path in ("/auth/github/callback?code=SENTINELCODE&state=SENTINELSTATE",
                 "/facebook/callback?code=SENTINELCODE&state=SENTINELSTATE",
                 "/api/v1/health?token=SENTINELTOKEN",
                 "/api/v1/no-such-thing?token=SENTINELTOKEN"):  # a 404: logged as a warning
        requests.get(base + path, timeout=10)
    deadline = time.monotonic() + 10
    while '"GET /api/v1/no-such-thing' not in output.read_text() \
            and time.monotonic() < deadline:
        time.sleep(0.1)  # runserver writes its line after answering (and after the access line)
    log = output.read_text()
    assert '"GET /auth/github/callback?[redacted] HTTP/1.1" 200' in log
    assert '"GET /facebook/callback?[redacted] HTTP/1.1" 200' in log
    assert '"GET /api/v1/no-such-thing?[redacted] HTTP/1.1" 404' in log
    for secret in SECRETS:
        assert secret not in log
