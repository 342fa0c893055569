"""What the GitHub and Facebook clients share beyond the HTTP choke point: the provider's web
URL (where the browser goes), the clock (a test seam like DRF's throttle `timer`), and the
usage budget every call asks first and reports to after."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import requests

from integrations import http
from integrations.usage import ProviderUsage, UnsharedBudget, UsageBudget


class ProviderClient(http.HttpClient):
    now: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))  # test seam

    def __init__(self, *, web_url: str, session: requests.Session | None,
                 timeout_s: tuple[float, float], budget: UsageBudget | None = None) -> None:
        super().__init__(session=session, timeout_s=timeout_s)
        self.web_url = web_url.rstrip("/")
        self.budget = budget if budget is not None else UnsharedBudget()

    def check_budget(self, key: str) -> None:
        """Before a call: ProviderRateLimited when that budget is nearly spent."""
        self.budget.check(self.provider, key, self.now())

    def record_usage(self, usage: ProviderUsage | None) -> None:
        """After any answer, success or error, that carried usage headers."""
        if usage is not None:
            self.budget.record(usage)
