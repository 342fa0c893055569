"""What the GitHub and Facebook clients share beyond the HTTP choke point: the provider's web
URL (where the browser goes) and the clock, a test seam like DRF's throttle `timer`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import requests

from integrations import http


class ProviderClient(http.HttpClient):
    now: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))  # test seam

    def __init__(self, *, web_url: str, session: requests.Session | None,
                 timeout_s: tuple[float, float]) -> None:
        super().__init__(session=session, timeout_s=timeout_s)
        self.web_url = web_url.rstrip("/")
