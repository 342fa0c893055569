"""`make run`: which providers the sandbox replaces, what the backend is told, and that it
stops cleanly however it is stopped (no child keeps a port, the next `make run` starts)."""

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from backend.run_local import SANDBOX_OCTOCAT_ID as LAUNCHER_OCTOCAT_ID
from backend.run_local import admin_access_hint, sandbox_plan
from integrations.github.webhooks import sign
from integrations.sandbox.data import GITHUB_USERS
from tests.fixtures.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_OCTOCAT_ID = GITHUB_USERS["octocat"].id


def test_without_credentials_both_providers_point_at_the_sandbox():
    django_env, sandbox_env, providers = sandbox_plan({
        "PORT": "8001", "SANDBOX_PORT": "9000",
        "APP_REDIRECT_URIS": "com.example.app:/oauth, https://app.example.test/cb",
    })
    assert providers == ["GitHub", "Facebook"]
    assert django_env["GITHUB_URL"] == "http://127.0.0.1:9000/github"
    assert django_env["GITHUB_API_URL"] == "http://127.0.0.1:9000/github/api/v3"
    assert django_env["FACEBOOK_GRAPH_URL"] == "http://127.0.0.1:9000/graph"
    assert django_env["GITHUB_CLIENT_ID"] == sandbox_env["SANDBOX_GITHUB_CLIENT_ID"]
    assert django_env["FACEBOOK_APP_SECRET"] == sandbox_env["SANDBOX_FACEBOOK_APP_SECRET"]
    assert django_env["STAFF_GITHUB_LOGINS"] == str(SANDBOX_OCTOCAT_ID)  # an id, never a login
    assert "CSP_EXTRA_IMG_SRC" not in django_env  # img-src follows GITHUB_URL by itself
    assert sandbox_env["SANDBOX_GITHUB_REDIRECT_URIS"].split(",") == [
        "http://127.0.0.1:8001/auth/github/callback", "com.example.app:/oauth",
        "https://app.example.test/cb"]
    assert sandbox_env["SANDBOX_FACEBOOK_REDIRECT_URIS"].startswith(
        "http://127.0.0.1:8001/facebook/callback")


def test_the_launcher_names_the_admin_ways_in():
    """Issue 23/24: GitHub staff get no admin, so `make run` says how to get it."""
    assert LAUNCHER_OCTOCAT_ID == SANDBOX_OCTOCAT_ID
    hint = admin_access_hint({}, "8001")
    assert "manage.py createsuperuser" in hint and "127.0.0.1:8001/admin/" in hint
    assert "ADMIN_SITE_USERS=github-<numeric id>" in hint and f"github-{SANDBOX_OCTOCAT_ID}" in hint
    assert "ADMIN_SITE_USERS (github-1)" in admin_access_hint({"ADMIN_SITE_USERS": "github-1"},
                                                              "8000")


def test_existing_staff_and_public_url_are_kept():
    django_env, sandbox_env, _ = sandbox_plan({
        "PUBLIC_URL": "https://dev.example.test/", "STAFF_GITHUB_LOGINS": "mona"})
    assert django_env["STAFF_GITHUB_LOGINS"] == "mona"
    assert sandbox_env["SANDBOX_GITHUB_REDIRECT_URIS"] == (
        "https://dev.example.test/auth/github/callback")


def test_the_sandbox_app_delivers_to_the_backend_and_returns_to_the_spa():
    _, sandbox_env, _ = sandbox_plan({"PORT": "8001", "SPA_URL": "http://localhost:5173/"})
    assert sandbox_env["SANDBOX_GITHUB_APP_WEBHOOK_URL"] == (
        "http://127.0.0.1:8001/api/v1/github/app/webhook")
    assert sandbox_env["SANDBOX_GITHUB_APP_SETUP_URL"] == "http://localhost:5173/github/app/setup"


def test_a_real_github_app_is_left_alone():
    _, sandbox_env, _ = sandbox_plan({"GITHUB_APP_ID": "12345"})
    assert "SANDBOX_GITHUB_APP_WEBHOOK_URL" not in sandbox_env


def test_real_credentials_mean_no_sandbox():
    env = {"GITHUB_CLIENT_ID": "real", "FACEBOOK_APP_ID": "123"}
    assert sandbox_plan(env) == ({}, {}, [])


def test_only_the_provider_without_credentials_is_sandboxed():
    django_env, _, providers = sandbox_plan({"GITHUB_CLIENT_ID": "real"})
    assert providers == ["Facebook"]
    assert "GITHUB_URL" not in django_env and "FACEBOOK_URL" in django_env


def test_dotenv_credentials_count_as_real(tmp_path, monkeypatch):
    from backend import run_local

    (tmp_path / ".env").write_text("GITHUB_CLIENT_ID=from-dotenv\nFACEBOOK_APP_ID=\n")
    monkeypatch.setattr(run_local, "BASE_DIR", tmp_path)
    for name in ("GITHUB_CLIENT_ID", "FACEBOOK_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    env = run_local.read_environment()
    monkeypatch.delenv("GITHUB_CLIENT_ID", raising=False)  # read_env wrote it into os.environ
    assert sandbox_plan(env)[2] == ["Facebook"]


def test_spa_elsewhere_registers_its_callback_routes():
    _, sandbox_env, _ = sandbox_plan({"PORT": "8001", "SPA_URL": "http://localhost:5173/"})
    assert sandbox_env["SANDBOX_GITHUB_REDIRECT_URIS"] == "http://localhost:5173/auth/github/callback"
    assert sandbox_env["SANDBOX_FACEBOOK_REDIRECT_URIS"] == "http://localhost:5173/facebook/callback"


# --- `make run` stops cleanly however it is stopped -----------------------------------------

MAKE_RUN_STARTUP_S = 60.0
STOP_WAIT_S = 20.0


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _group_alive(pgid: int) -> bool:
    """A live (not zombie) process in the group, read from /proc (Linux)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.fixture(scope="module")
def make_run_env(tmp_path_factory):
    """`make run` on free ports, with debug on and a scratch database (no .env needed)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "GITHUB_", "FACEBOOK_", "DATABASE_URL", "REDIS_"))}
    scratch = tmp_path_factory.mktemp("make-run")
    env.update(DJANGO_DEBUG="1", DJANGO_ENV_FILE="", DATABASE_URL=f"sqlite:///{scratch}/db",
               PORT=str(free_port()), SANDBOX_PORT=str(free_port()),
               MAKE_RUN_DIR=str(scratch / "run"),  # not the checkout's .run/
               GITHUB_CLIENT_ID="", FACEBOOK_APP_ID="")  # empty: the sandbox for both
    return env


def _start_make_run(env):
    """`make run` in a new session (its own process group, as under a terminal or a runtime)."""
    process = subprocess.Popen(["make", "--no-print-directory", "-o", ".env", "run"],
                               cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + MAKE_RUN_STARTUP_S
    ports = (int(env["PORT"]), int(env["SANDBOX_PORT"]))
    while time.monotonic() < deadline and process.poll() is None:
        if all(_port_open(port) for port in ports):
            return process
        time.sleep(0.2)
    _kill_group(process.pid)
    raise AssertionError(f"make run did not start (exit {process.poll()})")


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _assert_nothing_left(process, env) -> None:
    """make has exited, no process of its group survives, both ports are free."""
    ports = (int(env["PORT"]), int(env["SANDBOX_PORT"]))
    deadline = time.monotonic() + STOP_WAIT_S
    while time.monotonic() < deadline and (
            process.poll() is None or _group_alive(process.pid)
            or any(_port_open(port) for port in ports)):
        time.sleep(0.1)
    survivors = _group_alive(process.pid)
    busy = [port for port in ports if _port_open(port)]
    _kill_group(process.pid)  # never leave anything behind, even when the test fails
    assert process.poll() is not None, "make run is still running"
    assert not survivors, "a child of make run survived"
    assert busy == [], f"ports still listening: {busy}"


@pytest.mark.parametrize("attempt", range(10))
def test_sigterm_to_the_process_group_stops_everything(make_run_env, attempt):
    process = _start_make_run(make_run_env)
    os.killpg(process.pid, signal.SIGTERM)  # what a container runtime or systemd sends
    _assert_nothing_left(process, make_run_env)


def test_ctrl_c_stops_everything(make_run_env):
    process = _start_make_run(make_run_env)
    os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C goes to the whole group
    _assert_nothing_left(process, make_run_env)


def test_sigkill_to_the_process_group_leaves_no_server(make_run_env):
    process = _start_make_run(make_run_env)
    os.killpg(process.pid, signal.SIGKILL)
    _assert_nothing_left(process, make_run_env)


def test_sigkill_to_the_launcher_alone_takes_its_children_down(make_run_env):
    process = _start_make_run(make_run_env)
    launchers = _children(process.pid)  # make's recipe execs the launcher: make's only child
    assert len(launchers) == 1
    os.kill(launchers[0], signal.SIGKILL)
    _assert_nothing_left(process, make_run_env)


def test_make_run_starts_a_worker_that_runs_queued_tasks(make_run_env):
    """A task enqueued from another process (as cron would) is run by make run's worker."""
    process = _start_make_run(make_run_env)
    try:
        queued = subprocess.run([sys.executable, "manage.py", "check_tokens", "--queue"],
                                cwd=ROOT, env=make_run_env, capture_output=True, text=True,
                                timeout=60)
        assert queued.returncode == 0, queued.stderr
        database = make_run_env["DATABASE_URL"].removeprefix("sqlite:///")
        deadline = time.monotonic() + MAKE_RUN_STARTUP_S
        status = None
        while time.monotonic() < deadline and status != "SUCCESSFUL":
            with contextlib.closing(sqlite3.connect(database, timeout=10)) as db:
                row = db.execute("SELECT status FROM django_tasks_database_dbtaskresult "
                                 "WHERE task_path = 'integrations.tasks.check_tokens'").fetchone()
            status = row[0] if row else None
            time.sleep(0.2)
        assert status == "SUCCESSFUL"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _assert_nothing_left(process, make_run_env)


def test_make_run_configures_the_sandbox_github_app(make_run_env):
    """The demo shows app mode with no credentials: the backend holds the sandbox app's
    webhook secret (a ping it signs is answered 200) and the app delivers to the backend."""
    process = _start_make_run(make_run_env)
    try:
        sandbox = f"http://127.0.0.1:{make_run_env['SANDBOX_PORT']}"
        backend = f"http://127.0.0.1:{make_run_env['PORT']}"
        app = requests.get(sandbox + "/_sandbox/github/app", timeout=10).json()
        assert app["webhook_url"] == backend + "/api/v1/github/app/webhook"
        body = json.dumps({"zen": "Keep it logically awesome.", "hook": {"type": "App"}}).encode()
        deadline = time.monotonic() + MAKE_RUN_STARTUP_S
        answer = None
        while time.monotonic() < deadline:
            try:
                answer = requests.post(app["webhook_url"], data=body, timeout=10, headers={
                    "Content-Type": "application/json", "X-GitHub-Event": "ping",
                    "X-GitHub-Delivery": "make-run-ping",
                    "X-Hub-Signature-256": sign(app["webhook_secret"], body)})
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, answer and answer.text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _assert_nothing_left(process, make_run_env)


# --- beside and across `make run` -----------------------------------------------------------


def _manage(env, *args):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_busy_web_port_is_one_clear_line_before_anything_starts(make_run_env):
    port = int(make_run_env["PORT"])
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", port))
        busy.listen()
        result = subprocess.run(["make", "--no-print-directory", "-o", ".env", "run"], cwd=ROOT,
                                env=make_run_env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"Port {port} is busy" in output and f"PORT={port + 1} make run" in output
    assert "That port is already in use" not in output and "Traceback" not in output
    assert "Sandbox providers in use" not in output  # nothing was started first
    assert not _port_open(int(make_run_env["SANDBOX_PORT"]))


def test_check_tokens_without_providers_is_one_line_not_a_traceback(make_run_env):
    assert _manage(make_run_env, "migrate", "-v", "0").returncode == 0
    link = ("from integrations.models import FacebookPageLink as L; l = L.get_solo(); "
            "l.facebook_user_id, l.user_token = '1', 'EAAfake'; l.save()")
    assert _manage(make_run_env, "shell", "-c", link).returncode == 0  # as the demo leaves it
    try:
        result = _manage(make_run_env, "check_tokens")  # no `make run` beside it
    finally:
        _manage(make_run_env, "shell", "-c", "from integrations.models import "
                "FacebookPageLink as L; L.objects.all().delete()")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("CommandError: provider_not_configured: Facebook is not configured")
    assert "make run" in line


def _sign_in_octocat(url: str, sandbox_url: str) -> requests.Session:
    """GitHub sign-in through the demo's sandbox, as the SPA does it."""
    from tests.fixtures.sandbox import SandboxHandle

    http = requests.Session()
    csrf = http.get(url + "/api/v1/auth/csrf", timeout=10).json()["csrf_token"]
    start = http.post(url + "/api/v1/auth/github/authorize", json={}, timeout=10,
                      headers={"X-CSRFToken": csrf}).json()
    params = SandboxHandle(sandbox_url).github_consent(start["authorize_url"], user="octocat")
    signed_in = http.post(url + "/api/v1/auth/github/callback", json=params, timeout=30,
                          headers={"X-CSRFToken": csrf})
    assert signed_in.status_code == 200, signed_in.text
    return http


def _call(http: requests.Session, url: str, method: str, path: str, headers=None, **kwargs):
    csrf = http.get(url + "/api/v1/auth/csrf", timeout=10).json()["csrf_token"]
    return http.request(method, url + path, headers={"X-CSRFToken": csrf, **(headers or {})},
                        timeout=30, **kwargs)


def test_a_restarted_make_run_keeps_an_earlier_facebook_link_usable(make_run_env):
    from tests.fixtures.sandbox import SandboxHandle

    url = f"http://127.0.0.1:{make_run_env['PORT']}"
    sandbox_url = f"http://127.0.0.1:{make_run_env['SANDBOX_PORT']}"
    process = _start_make_run(make_run_env)
    try:
        http = _sign_in_octocat(url, sandbox_url)
        dialog = _call(http, url, "POST", "/api/v1/facebook/authorize", json={})
        assert dialog.status_code == 201, dialog.text
        params = SandboxHandle(sandbox_url).facebook_consent(dialog.json()["authorize_url"],
                                                            user="sam")
        linked = _call(http, url, "POST", "/api/v1/facebook/callback", json=params)
        assert linked.status_code == 200 and linked.json()["page_selected"], linked.text
        beside = _manage(make_run_env, "check_tokens")  # the demo's settings reach it
        assert beside.returncode == 0, beside.stderr
        assert "0 new warning(s) sent." in beside.stdout
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _assert_nothing_left(process, make_run_env)
    assert not (Path(make_run_env["MAKE_RUN_DIR"]) / "make-run.env").exists()

    process = _start_make_run(make_run_env)
    try:
        page = _call(http, url, "GET", "/api/v1/facebook/page").json()
        assert page["relink_needed"] is False, page
        assert page["token"]["valid"] is True and page["token"]["missing_scopes"] == []
        posted = _call(http, url, "POST", "/api/v1/facebook/page/posts",
                       json={"message": "After a restart"}, headers={"Idempotency-Key": "r1"})
        assert posted.status_code == 201, posted.text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _assert_nothing_left(process, make_run_env)
