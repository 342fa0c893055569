"""A request's provider slot, taken at its first call through the HTTP choke point.

One slot per request however many calls and threads; none outside a request or after it; a
refusal is ProviderBusy before anything is sent.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from integrations.concurrency import ContextCarryingExecutor
from integrations.errors import ProviderBusy
from integrations.http import HttpClient, build_session
from integrations.provider_slots import SlotHolder, holding

URL = "https://provider.test/thing"


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(session=build_session(backoff_s=0), timeout_s=(1.5, 4.0))


def free(slots: threading.Semaphore) -> int:
    """How many slots are free (taken and given back to count them)."""
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    for _ in range(taken):
        slots.release()
    return taken


def lazy_holder(slots) -> SlotHolder:
    holder = SlotHolder(slots)
    holder.lazy = True
    return holder


def test_calls_from_the_request_and_its_pool_threads_take_one_slot(client, rsps):
    rsps.get(URL, json={})
    rsps.get(URL, json={})
    slots = threading.BoundedSemaphore(2)
    with ContextCarryingExecutor(max_workers=1) as pool, holding(lazy_holder(slots)) as holder:
        pool.submit(client.send, "GET", URL).result()
        client.send("GET", URL)
        assert holder.held and free(slots) == 1
    assert free(slots) == 2  # given back at the end of the request


def test_racing_threads_of_one_request_take_one_slot():
    slots = threading.BoundedSemaphore(4)
    holder = lazy_holder(slots)
    start = threading.Barrier(8)

    def take():
        start.wait()
        return holder.take()

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(lambda _: take(), range(8)))
    assert free(slots) == 3
    holder.release()
    assert free(slots) == 4


def test_no_free_slot_is_provider_busy_before_anything_is_sent(client, rsps):
    slots = threading.BoundedSemaphore(1)
    slots.acquire()  # another request holds it
    with holding(lazy_holder(slots)), pytest.raises(ProviderBusy) as refused:
        client.send("GET", URL)
    assert refused.value.retry_after_s == 2
    assert len(rsps.calls) == 0


def test_outside_a_request_or_in_an_unbound_one_calls_are_not_capped(client, rsps):
    rsps.get(URL, json={})
    rsps.get(URL, json={})
    slots = threading.BoundedSemaphore(1)
    slots.acquire()
    client.send("GET", URL)  # a management command or a task: no holder
    with holding(SlotHolder(slots)) as holder:  # a view not declared lazy: no slot taken here
        client.send("GET", URL)
        assert not holder.held


def test_a_released_holder_takes_no_slot_again():
    """A call outliving its request must not take a slot that nothing would give back."""
    slots = threading.BoundedSemaphore(1)
    holder = lazy_holder(slots)
    assert holder.take()
    holder.release()
    assert not holder.take()
    assert free(slots) == 1
