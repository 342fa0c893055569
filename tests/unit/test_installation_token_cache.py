"""InstallationTokenCache: one mint per installation at a time, cached until ~5 minutes
before GitHub's expires_at, sealed in the cache, never caching a failure."""

import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
from django.core.cache.backends.locmem import LocMemCache

from integrations.errors import ProviderUnavailable
from integrations.github.errors import InstallationSuspended
from integrations.github.token_cache import InstallationTokenCache
from integrations.github.types import InstallationToken

NOW = 1_800_000_000.0


class CountingMinter:
    """Mints `ghs_<n>` living an hour; slow enough that concurrent callers overlap."""

    def __init__(self, delay_s=0.05):
        self.calls = 0
        self.delay_s = delay_s
        self.fail_with = None
        self.lock = threading.Lock()

    def mint_installation_token(self, installation_id):
        with self.lock:
            self.calls += 1
            number = self.calls
        time.sleep(self.delay_s)
        if self.fail_with is not None:
            raise self.fail_with
        return InstallationToken(token=f"ghs_{number}",
                                 expires_at=datetime.fromtimestamp(NOW + 3600, UTC))


@pytest.fixture
def shared():
    return LocMemCache(f"tokens-{uuid.uuid4().hex}", {})  # locmem caches are shared by name


def make(minter, cache, clock=lambda: NOW):
    tokens = InstallationTokenCache(minter, cache, namespace="424242",
                                    seal=lambda t: t[::-1], unseal=lambda t: t[::-1])
    tokens.clock = clock
    tokens.poll_s = 0.005
    return tokens


def test_twenty_concurrent_callers_make_one_mint(shared):
    minter = CountingMinter()
    barrier = threading.Barrier(20)
    got = []

    def job():
        tokens = make(minter, shared)  # one object per job, like one per worker process
        barrier.wait()
        got.append(tokens.token(77))

    threads = [threading.Thread(target=job) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert minter.calls == 1
    assert got == ["ghs_1"] * 20


def test_the_token_is_reused_until_five_minutes_before_expiry(shared):
    minter = CountingMinter(0)
    now = [NOW]
    tokens = make(minter, shared, clock=lambda: now[0])
    assert tokens.token(77) == "ghs_1"
    now[0] = NOW + 3600 - 301
    assert tokens.token(77) == "ghs_1"
    now[0] = NOW + 3600 - 299
    assert tokens.token(77) == "ghs_2"


def test_the_cache_holds_the_token_sealed(shared):
    make(CountingMinter(0), shared).token(77)
    [key] = [k for k in shared._cache if "installation-token:77" in k]
    raw = shared.get(key.split(":", 2)[2])
    assert raw["token"] == "1_shg"  # sealed (reversed here; Fernet in production)


def test_a_failed_early_refresh_serves_the_current_token(shared):
    minter = CountingMinter(0)
    now = [NOW]
    tokens = make(minter, shared, clock=lambda: now[0])
    tokens.token(77)
    now[0] = NOW + 3600 - 120  # in the refresh window, still valid
    minter.fail_with = ProviderUnavailable(provider="github")
    assert tokens.token(77) == "ghs_1"


def test_a_failed_mint_is_not_cached(shared):
    minter = CountingMinter(0)
    minter.fail_with = ProviderUnavailable(provider="github")
    tokens = make(minter, shared)
    with pytest.raises(ProviderUnavailable):
        tokens.token(77)
    minter.fail_with = None
    assert tokens.token(77) == "ghs_2"


def test_a_suspension_forgets_the_cached_token(shared):
    minter = CountingMinter(0)
    now = [NOW]
    tokens = make(minter, shared, clock=lambda: now[0])
    tokens.token(77)
    now[0] = NOW + 3600 - 120
    minter.fail_with = InstallationSuspended(provider="github")
    with pytest.raises(InstallationSuspended):
        tokens.token(77)
    assert tokens._read(77) is None


class DownCache:
    """Redis down behind the fail-open cache: every call answers like a miss."""

    def get(self, key, default=None):
        return default

    def set(self, key, value, timeout=None):
        return None

    def add(self, key, value, timeout=None):
        return False

    def delete(self, key):
        return False


def test_with_the_cache_down_it_mints_rather_than_waits():
    minter = CountingMinter(0)
    tokens = make(minter, DownCache())
    tokens.sleep = lambda s: None
    assert tokens.token(77) == "ghs_1"
