"""Enqueuing background work: the interface the services call.

The task bodies (`integrations.tasks`) sit above the services: each calls one service. So a
service that needs a task run later cannot import the task without a loop (a Page post's retry
is enqueued by the very flow its task runs). Instead each such task is named here as a
`TaskSlot`; `integrations.tasks` binds its task to the slot when it is imported (the app's
`ready()` imports it, in every process: web, worker, command), and services enqueue through the
slot. An unbound slot is a configuration error, never a silently dropped task.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.tasks import Task


class TaskSlot:
    """A task the services enqueue by name, bound once by the module that defines it."""

    def __init__(self, name: str):
        self.name = name
        self._task: Task | None = None

    def provides(self, task: Task) -> Task:
        """Bind `task` to this slot (a decorator over `@task()`); binding another is an error."""
        if self._task is not None and self._task.module_path != task.module_path:
            raise ImproperlyConfigured(f"Task slot {self.name!r} is already bound to "
                                       f"{self._task.module_path}.")
        self._task = task
        return task

    @property
    def task(self) -> Task:
        if self._task is None:
            raise ImproperlyConfigured(f"No task is bound to {self.name!r}: is 'integrations' "
                                       "in INSTALLED_APPS (its ready() imports the tasks)?")
        return self._task

    def enqueue_on_commit(self, *args, run_after: datetime | None = None) -> None:
        """Enqueue after the current transaction commits, so the worker sees the rows as it
        left them (at once outside a transaction)."""
        task = self.task
        runnable = task.using(run_after=run_after) if run_after else task
        transaction.on_commit(lambda: runnable.enqueue(*args))


ATTEMPT_PAGE_POST = TaskSlot("attempt_page_post")
RECONCILE_PAGE_POST = TaskSlot("reconcile_page_post")
REVOKE_GITHUB_CREDENTIAL = TaskSlot("revoke_github_credential")
