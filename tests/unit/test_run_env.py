"""backend.run_env: the settings a running `make run` gave its server reach commands beside it,
only while it runs, and never over a variable that is set."""

import os
import subprocess
import sys

from backend.run_env import apply_run_env, read_run_env


def write(path, pid, **values):
    lines = ["# a comment", f"MAKE_RUN_PID={pid}", *(f"{k}={v}" for k, v in values.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_running_make_runs_settings_fill_what_is_unset_or_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEBOOK_APP_ID", "")  # empty: "no credentials", as make run reads it
    monkeypatch.setenv("GITHUB_URL", "https://ghe.example.com")  # set: wins
    monkeypatch.setenv("FACEBOOK_GRAPH_URL", "")  # (so monkeypatch restores what it was)
    path = write(tmp_path / "make-run.env", os.getpid(), FACEBOOK_APP_ID="100000000000001",
                 GITHUB_URL="http://127.0.0.1:8765/github",
                 FACEBOOK_GRAPH_URL="http://127.0.0.1:8765/graph")
    assert sorted(apply_run_env(path)) == ["FACEBOOK_APP_ID", "FACEBOOK_GRAPH_URL"]
    assert os.environ["FACEBOOK_APP_ID"] == "100000000000001"
    assert os.environ["GITHUB_URL"] == "https://ghe.example.com"


def test_a_file_left_by_a_make_run_that_ended_is_ignored(tmp_path):
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    path = write(tmp_path / "make-run.env", ended.pid, GITHUB_URL="http://127.0.0.1:8765")
    assert read_run_env(path) == {}
    assert read_run_env(write(tmp_path / "other.env", "", GITHUB_URL="x")) == {}
    assert read_run_env(tmp_path / "missing.env") == {}
