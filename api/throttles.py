from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle (a view's `throttle_scope`, its rate read at request time, per
    client IP), counting with one counter per client and window.

    DRF keeps every request time of the window in one cache entry, read and written back whole
    on each request: at a generous rate that is thousands of floats pickled twice a request, and
    two workers racing between the read and the write both pass. Here the window's first request
    creates a counter that lives `duration` seconds and every request increments it atomically
    (on Redis one Lua script: INCR, expiry on the first, and the time left, which says how long a
    refused client waits; other caches keep the window's start beside the counter). At most
    `num_requests` per window; like any fixed window, up to twice that across a window's edge.
    The cache failing open (backend.cache) lets requests through, as before.
    """

    # Not DRF's key: entries it left (lists of times) are never read as counters.
    cache_format = "throttle:%(scope)s:%(ident)s"

    @property
    def THROTTLE_RATES(self):
        return api_settings.DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view) if self.rate else None
        if self.key is None:
            return True
        counted = self._count()
        if counted is None:  # the cache is unavailable: fail open
            return True
        count, self._wait_s = counted
        return count <= self.num_requests

    def _count(self) -> tuple[int, float] | None:
        """(This request's number in the window, seconds until the window ends), or None when
        the cache is unavailable."""
        count_in_window = getattr(self.cache, "count_in_window", None)
        if count_in_window is not None:  # Redis (backend.cache): one atomic round trip
            return count_in_window(self.key, self.duration)
        now = self.timer()
        if self.cache.add(self.key, 0, self.duration):  # a new window starts with this request
            self.cache.set(self.key + ":start", now, self.duration)
        try:
            count = self.cache.incr(self.key)
        except ValueError:  # the window ended between the two calls: this opens the next one
            self.cache.add(self.key, 1, self.duration)
            return 1, self.duration
        started = self.cache.get(self.key + ":start")
        return count, (self.duration - (now - started) if started else self.duration)

    def wait(self):
        return max(self._wait_s, 0.0)
