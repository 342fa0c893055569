"""A real PostgreSQL restarted under load: 503 `database_unavailable` while it is down, 200 after.

The test makes its own throwaway cluster (initdb/pg_ctl, run as the `postgres` OS user when we
are root, on a free port), runs gunicorn with the repo's config against it, and stops the
cluster in fast mode (in-flight queries get AdminShutdown) under 16 concurrent `/me` requests,
half by session cookie (the session store's path) and half by API token. Skipped only where the
PostgreSQL server binaries are absent; REQUIRE_POSTGRES=1 (CI) makes that a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.fixtures.processes import free_port
from tests.fixtures.servers import NO_PROVIDERS, ROOT, migrate, production_env, start_gunicorn

pytestmark = pytest.mark.e2e
CLIENTS = 16


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


class Cluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1:port, trust auth, in its own directory."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir, self.port = bin_dir, free_port()
        self.home = Path(tempfile.mkdtemp(prefix="oauth-bridge-pg-"))
        self.user = "postgres" if os.geteuid() == 0 else None  # initdb refuses to run as root
        if self.user:
            shutil.chown(self.home, self.user)
        self.data, self.log = self.home / "data", self.home / "server.log"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync",
                  "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "bridge")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/bridge?conn_max_age=60"

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run([str(self.bin_dir / tool), *args], user=self.user,
                                capture_output=True, text=True, timeout=120, cwd=self.home)
        assert result.returncode == 0, f"{tool} failed: {result.stdout}{result.stderr}"

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o",
                  f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def cluster():
    bin_dir = _postgres_bin()
    if bin_dir is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but no PostgreSQL server binaries (initdb, pg_ctl) "
                        "under /usr/lib/postgresql/*/bin: apt-get install -y postgresql")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    made = Cluster(bin_dir)
    yield made
    made.remove()


def _sign_in(env: dict[str, str]) -> tuple[str, str, str]:
    """(session cookie name, session key, API token) of a fresh user, made by manage.py."""
    script = (
        "from importlib import import_module\n"
        "from django.conf import settings\n"
        "from django.contrib.auth import get_user_model\n"
        "from knox.models import AuthToken\n"
        "user = get_user_model().objects.create_user('octo')\n"
        "session = import_module(settings.SESSION_ENGINE).SessionStore()\n"
        "session['_auth_user_id'] = str(user.pk)\n"
        "session['_auth_user_backend'] = settings.AUTHENTICATION_BACKENDS[0]\n"
        "session['_auth_user_hash'] = user.get_session_auth_hash()\n"
        "session.create()\n"
        "token = AuthToken.objects.create(user)[1]\n"
        "print(settings.SESSION_COOKIE_NAME, session.session_key, token)\n"
    )
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=True)
    name, key, token = result.stdout.split()[-3:]
    return name, key, token


def test_a_postgresql_restart_under_load_is_503_database_unavailable_then_200(cluster):
    env = production_env(database_url=cluster.url, sandbox=NO_PROVIDERS,
                         public_url="http://127.0.0.1", WEB_CONCURRENCY="1",
                         GUNICORN_THREADS=str(CLIENTS), LOG_LEVEL="WARNING")
    migrate(env)
    cookie_name, session_key, token = _sign_in(env)
    server = start_gunicorn(env, extra_args=("-c", "gunicorn.conf.py", "--workers", "1"))
    answers: list[tuple[int, str | None, str | None]] = []
    stop = threading.Event()

    def load(n: int) -> None:
        http = requests.Session()
        if n % 2:
            http.cookies.set(cookie_name, session_key)
        else:
            http.headers["Authorization"] = f"Token {token}"
        while not stop.is_set():
            try:
                response = http.get(server.url + "/api/v1/me", timeout=30)
            except requests.RequestException as exc:
                answers.append((0, type(exc).__name__, None))
                continue
            code = response.json().get("code") if response.status_code != 200 else None
            answers.append((response.status_code, code, response.headers.get("Retry-After")))

    try:
        assert requests.get(server.url + "/api/v1/me", timeout=10,
                            cookies={cookie_name: session_key}).status_code == 200
        with ThreadPoolExecutor(CLIENTS) as pool:
            for n in range(CLIENTS):
                pool.submit(load, n)
            time.sleep(1)
            cluster.stop("fast")
            time.sleep(1.5)
            health = requests.get(server.url + "/api/v1/health", timeout=10)
            cluster.start()
            time.sleep(2)
            stop.set()
        after = requests.get(server.url + "/api/v1/me", timeout=10,
                             headers={"Authorization": f"Token {token}"})
        ready = requests.get(server.url + "/api/v1/health", timeout=10)
    finally:
        stop.set()
        log = server.output()
        server.stop()

    print(f"\n{len(answers)} answers: " + ", ".join(  # shown with -s
        f"{status}: {sum(1 for a in answers if a[0] == status)}"
        for status in sorted({a[0] for a in answers})))
    statuses = {status for status, _, _ in answers}
    assert statuses <= {200, 503}, (statuses, log[-3000:])
    down = [a for a in answers if a[0] == 503]
    assert down, "no request saw the database down"
    assert {(code, retry) for _, code, retry in down} == {("database_unavailable", "5")}
    assert answers[-1][0] == 200, "requests after the restart must succeed"
    assert (health.status_code, health.json()["database"]) == (503, "unavailable")
    assert health.headers["Retry-After"] == "5"
    assert after.status_code == 200 and ready.status_code == 200
    assert log.count("database unavailable (") == 1, log[-3000:]  # one worker, one outage
    assert log.count("database available again") == 1, log[-3000:]
    assert "Traceback" not in log and "AttributeError" not in log, log[-3000:]
    assert " ERROR " not in log, log[-3000:]
