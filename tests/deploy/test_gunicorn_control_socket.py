"""Two gunicorn instances on one host do not share a control socket (gunicorn.conf.py).

gunicorn's default control socket is one path per user ($XDG_RUNTIME_DIR/gunicorn.ctl, else
~/.gunicorn/gunicorn.ctl): the second instance took it over. The repo's config turns it off
unless GUNICORN_CONTROL_SOCKET names a path of the instance's own.
"""

import subprocess

import pytest

from tests.fixtures.servers import (
    GUNICORN,
    NO_PROVIDERS,
    ROOT,
    migrate,
    production_env,
    start_gunicorn,
)
from tests.test_settings_production import PRODUCTION_ENV

pytestmark = pytest.mark.e2e


@pytest.fixture
def host_env(tmp_path):
    """A production environment whose per-user directories are this test's own."""
    (tmp_path / "run").mkdir()
    return production_env(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
                          sandbox=NO_PROVIDERS, public_url="http://127.0.0.1",
                          HOME=str(tmp_path / "home"), XDG_RUNTIME_DIR=str(tmp_path / "run"),
                          WEB_CONCURRENCY="1", GUNICORN_THREADS="2")


def test_two_instances_on_one_host_run_without_a_shared_control_socket(host_env, tmp_path):
    migrate(host_env)
    first = start_gunicorn(host_env, extra_args=("-c", "gunicorn.conf.py"))
    try:
        second = start_gunicorn(host_env, extra_args=("-c", "gunicorn.conf.py"))
        try:
            assert first.process.poll() is None and second.process.poll() is None
            assert not (tmp_path / "run" / "gunicorn.ctl").exists()
            assert not (tmp_path / "home" / ".gunicorn").exists()
            assert "control socket" not in first.output() + second.output()
        finally:
            second.stop()
    finally:
        first.stop()


def _resolved(env: dict[str, str]) -> dict[str, str]:
    result = subprocess.run([GUNICORN, "-c", "gunicorn.conf.py", "--print-config",
                             "backend.wsgi"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60, check=True)
    pairs = (line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def test_gunicorn_control_socket_names_an_instances_own_path(tmp_path):
    env = {**PRODUCTION_ENV, "PATH": "/usr/bin:/bin"}
    assert _resolved(env)["control_socket_disable"] == "True"
    own = str(tmp_path / "bridge-8001.ctl")
    config = _resolved({**env, "GUNICORN_CONTROL_SOCKET": own})
    assert (config["control_socket"], config["control_socket_disable"]) == (own, "False")
