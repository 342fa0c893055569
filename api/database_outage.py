"""A lost database (restarted, failed over, unreachable) answers 503 `database_unavailable`.

Django reconnects by itself once the database is back (CONN_HEALTH_CHECKS closes a broken
connection at the end of its request), so an outage only has to be answered well while it
lasts: the usual error shape with `Retry-After`, never a 500, and one WARNING per outage and
process instead of a traceback per request. The outage ends, with one more line, when this
process next opens a connection (Django's `connection_created` signal).

`api.errors` builds the answer; three places give it: the DRF exception handler (API views,
including the session and token lookups of authentication),
`api.middleware.DatabaseUnavailableMiddleware` (other views: the admin) and
`backend.urls.handler500` (middleware, e.g. saving a session).
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import InterfaceError, OperationalError
from django.db.backends.signals import connection_created

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 5  # a fast restart takes ~3 s; a fail-over a little longer
OUTAGE_GAP_S = 30.0  # failures closer than this are one outage (logged once)
CODE = "database_unavailable"
MESSAGE = "The database is unavailable right now; try again in a moment."
_DETAIL_MAX_CHARS = 200


def is_database_lost(exc: BaseException | None) -> bool:
    """Connection-level failures: refused, closed under us, shut down by the administrator.
    (Integrity and data errors are programming or input errors, not an outage.)"""
    return isinstance(exc, (OperationalError, InterfaceError))


class OutageLog:
    """Per process: one WARNING when the database is first found gone, one when a connection
    succeeds again; nothing in between, however many requests fail. A restarting database
    lets some connections in while refusing others ("the database system is starting up"):
    failures less than OUTAGE_GAP_S apart belong to the same outage."""

    clock = staticmethod(time.monotonic)  # a seam for tests

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.since: float | None = None  # start of the current (or last) outage
        self.last_failure: float | None = None
        self.back_logged = False

    def lost(self, exc: BaseException) -> None:
        with self._lock:
            now = self.clock()
            new = self.last_failure is None or now - self.last_failure > OUTAGE_GAP_S
            self.last_failure = now
            if new:
                self.since, self.back_logged = now, False
        if new:
            detail = " ".join(str(exc).split())[:_DETAIL_MAX_CHARS] or "-"
            logger.warning("database unavailable (%s: %s): answering 503 %s until it is back",
                           type(exc).__name__, detail, CODE,
                           extra={"event": "database", "reason": "unavailable"})

    def reconnected(self, **kwargs) -> None:
        with self._lock:
            if self.since is None or self.back_logged:
                return
            self.back_logged = True
            since = self.since
        logger.warning("database available again after %.1f s", self.clock() - since,
                       extra={"event": "database", "reason": "reconnected"})


outage = OutageLog()
connection_created.connect(outage.reconnected, dispatch_uid="api.database_outage")
