"""A request's claim on one of its process's provider slots (PROVIDER_CONCURRENCY).

Plain Python: the API's middleware owns the slots and puts a `SlotHolder` in a context variable
for each request; `HttpClient.send()` calls `claim_provider_slot()` before every provider call.
A holder taken up front (before the view) makes that a no-op; a lazy one takes its slot at the
first call, so an answer from a cache never waits for, or is refused, a slot. Outside a request
(management commands, task workers) there is no holder and no cap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from integrations.errors import ProviderBusy

_holder: ContextVar[SlotHolder | None] = ContextVar("provider_slot_holder", default=None)


class SlotHolder:
    """At most one of `slots` for one request, kept until `release()`.

    The request's pool threads see the same holder (integrations.concurrency carries context
    variables), hence the lock: however many calls and threads, one slot per request.
    """

    def __init__(self, slots: threading.Semaphore) -> None:
        self._slots = slots
        self._lock = threading.Lock()
        self._held = False
        self._released = False
        self.lazy = False  # take the slot at the first provider call (see `claim_provider_slot`)

    @property
    def held(self) -> bool:
        return self._held

    def take(self) -> bool:
        """The slot, now or already held; False when none is free (never waits for one).

        After `release()` always False: a call outliving its request must not take a slot
        that nothing would give back."""
        with self._lock:
            if not self._held and not self._released:
                self._held = self._slots.acquire(blocking=False)
            return self._held

    def release(self) -> None:
        """Give the slot back, if one was taken; the holder takes none after this."""
        with self._lock:
            self._released = True
            if self._held:
                self._held = False
                self._slots.release()


@contextmanager
def holding(holder: SlotHolder) -> Iterator[SlotHolder]:
    """The current request's holder inside the block; its slot is given back at the end."""
    token = _holder.set(holder)
    try:
        yield holder
    finally:
        _holder.reset(token)
        holder.release()


def claim_provider_slot(provider: str | None = None) -> None:
    """Before a provider call: a lazy holder takes its slot now, else ProviderBusy (503)."""
    holder = _holder.get()
    if holder is not None and holder.lazy and not holder.take():
        raise ProviderBusy(provider=provider)
