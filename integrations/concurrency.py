"""A thread pool for provider calls made side by side within one request.

`concurrent.futures` runs a call with none of the submitter's context variables, so its log
lines would lose the request id. Running it in a *copy* of the submitter's context is wrong the
other way: Django keeps its per-thread connection handles (the cache's Redis client among them)
in asgiref `Local`s, which are context variables tagged with their owner thread. In a copied
context a worker thread finds none of its own, builds a new cache client (a new Redis connection
and handshake, ~3 ms) for each call, and the copy is thrown away after the call.

So each call runs in the worker's own, long-lived context, with the submitter's context variables
set for its duration, except asgiref's: the worker keeps its own connection handles, reused from
call to call, like a request thread does.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar, copy_context
from typing import Any

# asgiref.local.Local's context variable: per-thread connection handles stay with their thread.
_THREAD_BOUND_VARS = frozenset({"asgiref.local"})


class ContextCarryingExecutor(ThreadPoolExecutor):
    def submit(self, fn, /, *args: Any, **kwargs: Any) -> Future:
        carried = [(var, value) for var, value in copy_context().items()
                   if var.name not in _THREAD_BOUND_VARS]
        return super().submit(_run_with, carried, fn, args, kwargs)


def _run_with(carried: list[tuple[ContextVar, Any]], fn, args, kwargs):
    tokens = [(var, var.set(value)) for var, value in carried]
    try:
        return fn(*args, **kwargs)
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
