"""Two gunicorn workers, production settings, LOG_FORMAT=json: /metrics sums both workers."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.processes import free_port
from tests.test_settings_production import PRODUCTION_ENV, ROOT

TOKEN = "metrics-token-SENTINEL-for-gunicorn"
HEADERS = {"Host": "bridge.example.com", "X-Forwarded-Proto": "https"}
STARTUP_TIMEOUT_S = 30.0


@pytest.fixture
def server(tmp_path):
    """gunicorn with two sync workers on a free port; stopped (and waited for) afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(PRODUCTION_ENV, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), METRICS_TOKEN=TOKEN,
               LOG_FORMAT="json", TRUST_X_FORWARDED_PROTO="1",
               PYTHONWARNINGS="ignore:No directory at:UserWarning")  # no collectstatic here
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                   check=True, timeout=120)
    port = free_port()
    log = (tmp_path / "server.log").open("w+")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "backend.wsgi", "-c", "gunicorn.conf.py",
         "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url, tmp_path / "metrics", log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited during startup"
        try:
            requests.get(url + "/api/v1/health/live", headers=HEADERS, timeout=30)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def _live(url: str) -> str:
    response = requests.get(url + "/api/v1/health/live", headers=HEADERS, timeout=10)
    assert response.status_code == 200
    return response.headers["X-Request-ID"]


def _served_count(url: str) -> float:
    response = requests.get(url + "/metrics", timeout=10,
                            headers={**HEADERS, "Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if (sample.name == "oauth_bridge_http_request_seconds_count"
                    and sample.labels["route"] == "api/v1/health/live"):
                return sample.value
    return 0.0


def _worker_pids(metrics_dir: Path) -> set[str]:
    return {re.sub(r"\D", "", p.stem) for p in metrics_dir.glob("histogram_*.db")}


def test_two_workers_counters_are_summed_and_logs_are_json(server):
    url, metrics_dir, log = server
    sent = 1  # the startup probe
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Concurrent requests reach both workers; go on until each has served some.
        while len(_worker_pids(metrics_dir)) < 2 and sent < 800:
            list(pool.map(lambda _: _live(url), range(16)))
            sent += 16
    assert len(_worker_pids(metrics_dir)) == 2, "one worker served every request"
    assert _served_count(url) == sent
    assert requests.get(url + "/metrics", headers=HEADERS, timeout=10).status_code == 401

    log.seek(0)
    app_lines = [line for line in log.read().splitlines()
                 if line.strip() and not line.startswith("[")]  # gunicorn's own lines
    records = [json.loads(line) for line in app_lines]
    access = [r for r in records if r["logger"] == "oauth_bridge.access"]
    assert len(access) >= sent
    fields = {"timestamp", "level", "logger", "message", "request_id", "user_id", "client_ip",
              "method", "path", "status", "duration_ms"}
    assert all(set(r) >= fields for r in access)
    assert all(TOKEN not in line for line in app_lines)
