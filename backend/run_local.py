"""`make run`: the development server on 127.0.0.1:$PORT, with the provider sandbox beside it.

For each provider without credentials (GITHUB_CLIENT_ID / FACEBOOK_APP_ID unset in the
environment and in `.env`), the sandbox (integrations/sandbox) is started on $SANDBOX_PORT
(default 8765) and the backend is pointed at it. With real credentials for both, no sandbox runs.
One task worker (`manage.py db_worker`) runs beside the server, against the same database.
Under the run directory (MAKE_RUN_DIR, default `.run/`): `make-run.env`, the settings given to
the server, which any `manage.py` command run beside the demo reads too (backend.run_env), and
`sandbox-state.json`, the sandbox's tokens, kept across restarts (an earlier link stays usable).
Ctrl-C, SIGTERM or SIGKILL (to the process group, or to this launcher alone) stops the backend,
the worker and the sandbox together: they stay in make's process group and die with this
process.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import environ

from backend.run_env import run_env_path

BASE_DIR = Path(__file__).resolve().parent.parent
SANDBOX_CREDENTIALS = {  # the sandbox's own defaults (integrations/sandbox/config.py)
    "GITHUB_CLIENT_ID": "sandbox-github-client-id",
    "GITHUB_CLIENT_SECRET": "sandbox-github-client-secret",
    "FACEBOOK_APP_ID": "100000000000001",
    "FACEBOOK_APP_SECRET": "sandbox-facebook-app-secret",
}
SANDBOX_OCTOCAT_ID = 583231  # integrations/sandbox/data.py
STARTUP_TIMEOUT_S = 15.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def read_environment() -> dict[str, str]:
    """The process environment over `.env`, read the way the settings read it (env wins)."""
    if (BASE_DIR / ".env").exists():
        environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    return dict(os.environ)


def sandbox_plan(env: dict[str, str]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(Django env additions, sandbox env, sandboxed provider names); empty when none needed."""
    providers = [name for name, key in (("GitHub", "GITHUB_CLIENT_ID"),
                                        ("Facebook", "FACEBOOK_APP_ID")) if not env.get(key)]
    if not providers:
        return {}, {}, []
    port = env.get("PORT") or "8000"
    public_url = (env.get("PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/")
    spa_url = (env.get("SPA_URL") or public_url).rstrip("/")  # the callback routes live there
    base = f"http://127.0.0.1:{env.get('SANDBOX_PORT') or '8765'}"
    app_uris = [u.strip() for u in (env.get("APP_REDIRECT_URIS") or "").split(",") if u.strip()]
    django_env = {"PUBLIC_URL": public_url}
    sandbox_env = {
        "SANDBOX_GITHUB_REDIRECT_URIS": ",".join([spa_url + "/auth/github/callback",
                                                  *app_uris]),
        "SANDBOX_FACEBOOK_REDIRECT_URIS": ",".join([spa_url + "/facebook/callback",
                                                    *app_uris]),
    }
    if "GitHub" in providers and not env.get("GITHUB_APP_ID"):
        # The sandbox's own GitHub App: its deliveries come here, its install page returns to
        # the SPA; its credentials are read from the sandbox once it runs (sandbox_app_env).
        sandbox_env["SANDBOX_GITHUB_APP_WEBHOOK_URL"] = public_url + "/api/v1/github/app/webhook"
        sandbox_env["SANDBOX_GITHUB_APP_SETUP_URL"] = spa_url + "/github/app/setup"
    if "GitHub" in providers:
        django_env.update(GITHUB_URL=base + "/github", GITHUB_API_URL=base + "/github/api/v3",
                          GITHUB_CLIENT_ID=SANDBOX_CREDENTIALS["GITHUB_CLIENT_ID"],
                          GITHUB_CLIENT_SECRET=SANDBOX_CREDENTIALS["GITHUB_CLIENT_SECRET"],
                          STAFF_GITHUB_LOGINS=env.get("STAFF_GITHUB_LOGINS")
                          or str(SANDBOX_OCTOCAT_ID))
    if "Facebook" in providers:
        django_env.update(FACEBOOK_URL=base + "/facebook", FACEBOOK_GRAPH_URL=base + "/graph",
                          FACEBOOK_APP_ID=SANDBOX_CREDENTIALS["FACEBOOK_APP_ID"],
                          FACEBOOK_APP_SECRET=SANDBOX_CREDENTIALS["FACEBOOK_APP_SECRET"])
    # The sandbox serves the test users' avatars: the CSP allows them because GITHUB_URL is the
    # sandbox (backend/conf/csp.py derives img-src from it).
    for name, value in SANDBOX_CREDENTIALS.items():
        sandbox_env["SANDBOX_" + name] = value
    return django_env, sandbox_env, providers


def sandbox_app_env(base: str) -> dict[str, str]:
    """GITHUB_APP_* of the sandbox's app (its private key is made when the sandbox starts, so
    it reaches the backend and the worker through their environment, never a file)."""
    with urllib.request.urlopen(base + "/_sandbox/github/app", timeout=5) as answer:  # noqa: S310
        app = json.load(answer)
    return {"GITHUB_APP_ID": str(app["id"]), "GITHUB_APP_SLUG": app["slug"],
            "GITHUB_APP_WEBHOOK_SECRET": app["webhook_secret"],
            # One line (settings turn "\\n" back into newlines): env files hold one per line.
            "GITHUB_APP_PRIVATE_KEY": app["private_key"].strip().replace("\n", "\\n")}


def write_run_env(path: Path, django_env: dict[str, str]) -> None:
    """The settings `make run` gives its server, for any `manage.py` command run beside it
    (backend.run_env reads them while this launcher lives). Written 0600: it holds the
    sandbox's client secrets."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Written by `make run` while it runs (backend/run_local.py); read by manage.py "
             "commands in debug mode while MAKE_RUN_PID lives.", f"MAKE_RUN_PID={os.getpid()}"]
    lines += [f"{name}={value}" for name, value in sorted(django_env.items())]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.chmod(0o600)
    tmp.replace(path)


def busy_port_message(port: int, variable: str) -> str:
    return (f"Port {port} is busy: stop what runs there (perhaps an earlier `make run`; "
            f"`ss -ltnp 'sport = :{port}'` shows it) or set {variable} to a free port, "
            f"e.g. {variable}={port + 1} make run.")


def admin_access_hint(env: dict[str, str], port: str) -> str:
    """How to reach /admin/: GitHub sign-in's staff status does not open it (issue 23)."""
    listed = (env.get("ADMIN_SITE_USERS") or "").strip()
    if listed:
        return (f"Admin http://127.0.0.1:{port}/admin/: superusers and ADMIN_SITE_USERS "
                f"({listed}).")
    return (f"Admin http://127.0.0.1:{port}/admin/ is for superusers only (signing in with "
            "GitHub as staff does not open it): create one with `.venv/bin/python manage.py "
            "createsuperuser`, or let a signed-in GitHub user in with "
            "ADMIN_SITE_USERS=github-<numeric id> in .env (the sandbox octocat: "
            f"github-{SANDBOX_OCTOCAT_ID}) and restart.")


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until_ready(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("The provider sandbox exited during start-up (see its output above).")
        try:
            with urllib.request.urlopen(url + "/_sandbox/health", timeout=1):  # noqa: S310
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"The provider sandbox did not answer at {url} within {STARTUP_TIMEOUT_S}s.")


def die_with(parent_pid: int) -> None:
    """In a child before exec: SIGTERM when the launcher dies, even by SIGKILL (Linux)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:  # the launcher died before prctl: no signal will come
        os._exit(1)


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    """A child in our process group (make's): a signal to the group reaches it, and so does
    its parent-death signal if only the launcher is killed. runserver's own autoreload child
    is killed by runserver on SIGTERM (Django's reloader)."""
    launcher = os.getpid()  # preexec_fn is safe here: the launcher runs no threads
    return subprocess.Popen(command, cwd=BASE_DIR, env=env,
                            preexec_fn=lambda: die_with(launcher))


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _terminate(signum: int, frame: object) -> None:
    # Once: make forwards a second SIGTERM to its child when the group gets one; it must not
    # interrupt the cleanup below (that left the sandbox listening).
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> int:
    env = read_environment()
    port = env.get("PORT") or "8000"
    django_env, sandbox_env, providers = sandbox_plan(env)
    sandbox = backend = worker = None
    # SIGINT too: a shell may have started us with it ignored, and Ctrl-C must still work.
    for sig in STOP_SIGNALS:
        signal.signal(sig, _terminate)
    # The run directory keeps what must outlive one run or be read beside it (git-ignored).
    run_env = run_env_path(BASE_DIR)  # where backend.run_env reads it (env == os.environ here)
    runs = run_env.parent
    try:
        # Every port before anything starts: a busy one is one clear line, not a half-started
        # demo ending in runserver's bare "That port is already in use.".
        if port_in_use(int(port)):
            raise SystemExit(busy_port_message(int(port), "PORT"))
        if providers:
            sandbox_port = int(env.get("SANDBOX_PORT") or 8765)
            if port_in_use(sandbox_port):
                raise SystemExit(busy_port_message(sandbox_port, "SANDBOX_PORT"))
            base = f"http://127.0.0.1:{sandbox_port}"
            sandbox = start([sys.executable, "-m", "integrations.sandbox", "--host", "127.0.0.1",
                             "--port", str(sandbox_port),
                             "--state-file", str(runs / "sandbox-state.json")],
                            {**os.environ, **sandbox_env})
            wait_until_ready(sandbox, base)
            if "SANDBOX_GITHUB_APP_WEBHOOK_URL" in sandbox_env:
                django_env.update(sandbox_app_env(base))
            write_run_env(run_env, django_env)
            print(f"\n*** Sandbox providers in use at {base} ({' and '.join(providers)}): "
                  "not the real GitHub/Facebook. Test users: GitHub octocat (staff), mona, "
                  "unverified; Facebook alex, sam, robin; the sandbox's GitHub App is "
                  "configured (install it from /facebook). Set GITHUB_CLIENT_ID / FACEBOOK_APP_ID "
                  "(and secrets) in .env to use the real providers. manage.py commands run "
                  "beside it (check_tokens, post_to_page) use the same settings. ***\n",
                  flush=True)
        print(admin_access_hint(env, port), flush=True)
        backend = start([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
                        {**os.environ, **django_env})
        # No autoreloader for the worker: a reloader child would be one more process to stop
        # (restart `make run` after changing a task).
        worker = start([sys.executable, "manage.py", "db_worker", "--no-reload"],
                       {**os.environ, **django_env})
        while True:
            for process in (backend, worker, sandbox):
                if process is not None and process.poll() is not None:
                    return process.returncode or 0
            time.sleep(0.3)
    except KeyboardInterrupt:
        return 0
    finally:
        stop(backend)
        stop(worker)
        stop(sandbox)
        run_env.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
