"""Settings `make run` gave its server, for a `manage.py` command run beside the demo.

`make run` points the server at the sandbox through its environment only; a command started in
another terminal (`manage.py check_tokens`) would not know the sandbox and fail. So the launcher
writes those settings to `<run dir>/make-run.env` (MAKE_RUN_DIR, default `.run/`) while it runs,
and settings.py applies them here: only in debug mode (never on a production host, where a
stale file must not point GitHub at localhost), only while the launcher that wrote them lives,
and never over a variable that is set.
"""

from __future__ import annotations

import os
from pathlib import Path

PID_KEY = "MAKE_RUN_PID"


def run_env_path(base_dir: Path) -> Path:
    return Path(os.environ.get("MAKE_RUN_DIR") or base_dir / ".run") / "make-run.env"


def _alive(pid: str | None) -> bool:
    if not pid or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def read_run_env(path: Path) -> dict[str, str]:
    """The file's variables, or {} when it is missing or its `make run` has ended."""
    try:
        text = path.read_text()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values if _alive(values.pop(PID_KEY, None)) else {}


def apply_run_env(path: Path) -> list[str]:
    """Set the running demo's settings that the environment leaves unset or empty (an empty
    GITHUB_CLIENT_ID means "no credentials", as `make run` reads it); answers their names."""
    applied = []
    for name, value in read_run_env(path).items():
        if not os.environ.get(name):
            os.environ[name] = value
            applied.append(name)
    return applied
