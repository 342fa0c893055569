"""An over-long request line gets the JSON error shape through gunicorn with the repo's
gunicorn.conf.py (issue 16 item 12), and gunicorn's own HTML 414 only past its documented
8190-byte limit."""

import subprocess
import sys
import time

import pytest
import requests

from tests.fixtures.processes import free_port, stop_process
from tests.fixtures.servers import ROOT, development_env

pytestmark = pytest.mark.e2e


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    env = development_env(tmp_path / "db.sqlite3")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "backend.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1"],  # the rest (limit_request_line 8190) from gunicorn.conf.py
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(base + "/", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        stop_process(process)


def test_an_over_long_url_is_a_json_414_not_an_html_page(gunicorn):
    response = requests.get(gunicorn + "/api/v1/facebook/page?x=" + "a" * 6000, timeout=10)
    assert response.status_code == 414
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "uri_too_long"


def test_past_gunicorns_documented_limit_its_own_414_answers(gunicorn):
    response = requests.get(gunicorn + "/?x=" + "a" * 9000, timeout=10)
    assert response.status_code in (400, 414)
