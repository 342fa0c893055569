"""ContextCarryingExecutor: a call in a pool thread sees the submitter's context variables (the
request id on its log lines) but keeps the worker's own Django connection handles."""

from contextvars import ContextVar

import pytest
from django.core.cache import caches

from integrations.concurrency import ContextCarryingExecutor

REQUEST_ID = ContextVar("test_request_id", default=None)


@pytest.fixture
def pool():
    with ContextCarryingExecutor(max_workers=1) as executor:
        yield executor


def test_a_call_sees_the_submitters_context_variables_for_its_duration(pool):
    token = REQUEST_ID.set("request-1")
    try:
        assert pool.submit(REQUEST_ID.get).result() == "request-1"
    finally:
        REQUEST_ID.reset(token)
    assert pool.submit(REQUEST_ID.get).result() is None  # not left behind in the worker


def test_an_error_leaves_the_worker_context_clean(pool):
    def fails():
        raise ValueError(REQUEST_ID.get())

    token = REQUEST_ID.set("request-2")
    try:
        with pytest.raises(ValueError, match="request-2"):
            pool.submit(fails).result()
    finally:
        REQUEST_ID.reset(token)
    assert pool.submit(REQUEST_ID.get).result() is None


def test_the_worker_keeps_its_own_cache_handle_from_call_to_call(pool):
    """In a copy of the submitter's context, asgiref's thread-tagged Local hands a pool thread a
    new cache object (with Redis: a new connection) on every call; here it is built once."""
    first = pool.submit(lambda: id(caches["default"])).result()
    assert pool.submit(lambda: id(caches["default"])).result() == first
    assert first != id(caches["default"])  # and it is the worker's, not the submitter's
