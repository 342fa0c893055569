"""Benchmark: how fast `manage.py db_worker` drains the queue, one worker against two.

    .venv/bin/python -m tests.benchmarks.bench_worker [--tasks 200] [--task-ms 20]
    DATABASE_URL=postgres://… .venv/bin/python -m tests.benchmarks.bench_worker

Each task sleeps `--task-ms` (standing in for a Graph call) and appends one line to a log. The
same batch is drained by one worker, then by two (each started with `--batch`, so it exits when
the queue is empty). It prints wall times, tasks per second and the ratio, and counts the lines
per task to show none ran twice; it asserts nothing (figures, not pass/fail).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--task-ms", type=int, default=20)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from tests.e2e.worker_tasks import record_run
    from tests.fixtures.sandbox import ROOT
    from tests.fixtures.worker import child_env

    connection.creation.create_test_db(verbosity=0)
    try:
        env = child_env(settings, TASK_SLEEP_MS=str(args.task_ms))
        print(f"database: {connection.vendor}, {args.tasks} tasks of {args.task_ms} ms each")
        one = None
        for workers in (1, 2):
            DBTaskResult.objects.all().delete()
            log = Path(tempfile.mkstemp(suffix=".log")[1])
            for n in range(args.tasks):
                record_run.enqueue(str(log), n)
            started = time.perf_counter()
            children = [subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--batch", "--interval", "0",
                 "--no-startup-delay", "--no-reload", "-v", "0"], cwd=ROOT, env=env)
                for _ in range(workers)]
            for child in children:
                child.wait()
            elapsed = time.perf_counter() - started
            runs = Counter(line.split(":")[0] for line in log.read_text().split())
            log.unlink()
            one = one or elapsed
            print(f"{workers} worker(s): {elapsed:6.2f} s, {args.tasks / elapsed:7.1f} tasks/s, "
                  f"speed-up x{one / elapsed:.2f}; tasks run: {len(runs)}, "
                  f"run more than once: {sum(1 for c in runs.values() if c > 1)}")
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
