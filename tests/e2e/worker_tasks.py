"""A task for the worker tests: records which process ran it (the worker imports it by path)."""

import os
import time

from django.tasks import task


@task()
def record_run(log_path: str, n: int) -> int:
    """Append `n:pid` to the log (O_APPEND: whole lines, whichever process writes)."""
    # Long enough that both workers get a share (the benchmark sets another duration).
    time.sleep(int(os.environ.get("TASK_SLEEP_MS", "20")) / 1000)
    with open(log_path, "a") as log:
        log.write(f"{n}:{os.getpid()}\n")
    return n
