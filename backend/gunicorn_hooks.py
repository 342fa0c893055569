"""Gunicorn server hooks for prometheus_client's multiprocess mode (wired in gunicorn.conf.py).

Each worker writes its counters and histograms to files in PROMETHEUS_MULTIPROC_DIR and
`/metrics` sums them, so a scrape sees the whole server whichever worker answers it. The
directory must be empty when the server starts (old files would be added in) and must be set
before any worker imports prometheus_client.
"""

import os
import shutil
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
_OWNED = "OAUTH_BRIDGE_OWNS_METRICS_DIR"


def prepare_metrics_dir() -> str:
    """Use PROMETHEUS_MULTIPROC_DIR, or a fresh private directory when it is not set."""
    if not os.environ.get(ENV):
        os.environ[ENV] = tempfile.mkdtemp(prefix="oauth-bridge-metrics-")
        os.environ[_OWNED] = "1"
    Path(os.environ[ENV]).mkdir(parents=True, exist_ok=True)
    return os.environ[ENV]


def on_starting(server) -> None:
    """Start from zero: files left by a previous run would be summed into this one's."""
    for stale in Path(os.environ[ENV]).glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    """A dead worker's live gauges must stop counting (its counters keep their totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if os.environ.get(_OWNED):
        shutil.rmtree(os.environ[ENV], ignore_errors=True)
