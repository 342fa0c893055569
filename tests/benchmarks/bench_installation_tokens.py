"""Benchmark: what the shared installation-token cache saves (issue 25).

    .venv/bin/python -m tests.benchmarks.bench_installation_tokens [--rounds 30] [--github-ms 50]

The sandbox plays GitHub with `--github-ms` of latency per call; its app verifies every JWT.
Timed, in one process:

* baseline: minting an installation token per job (JWT + `POST .../access_tokens`), what a
  worker without the cache would do;
* product: `InstallationTokenCache.token()` on a warm cache (Redis when `redis-server` is
  installed, else the in-memory cache), sealed with Fernet like in production;
* a burst: 20 threads asking at once on a cold cache, and how many mints reached GitHub.

It prints medians and ratios; it asserts nothing (figures, not pass/fail).
"""

import argparse
import os
import statistics
import threading
import time


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(work, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--github-ms", type=int, default=50)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.core.cache.backends.locmem import LocMemCache

    from integrations.crypto import decrypt_token, encrypt_token
    from integrations.github.app import GitHubAppClient
    from integrations.github.token_cache import InstallationTokenCache
    from tests.fixtures.redis import start_redis, stop_redis
    from tests.fixtures.sandbox import start_sandbox, stop_sandbox

    sandbox = start_sandbox()
    redis = None
    try:
        try:
            from backend.cache import FailOpenRedisCache

            redis, url = start_redis()
            cache, kind = FailOpenRedisCache(url, {}), "redis"
        except BaseException:  # no redis-server: pytest.skip raises a BaseException
            cache, kind = LocMemCache("bench-tokens", {}), "in-memory"
        app = sandbox.github_app()
        installation_id = sandbox.install_app("octocat", ["octocat/Hello-World"])
        sandbox.set_latency(args.github_ms)
        client = GitHubAppClient(str(app["id"]), app["private_key"], slug=app["slug"],
                                 web_url=sandbox.github_url, api_url=sandbox.github_api_url)

        def tokens(namespace: str) -> InstallationTokenCache:
            return InstallationTokenCache(client, cache, namespace=namespace,
                                          seal=encrypt_token, unseal=decrypt_token)

        mint = timed(lambda: client.mint_installation_token(installation_id), args.rounds)
        warm = tokens("warm")
        warm.token(installation_id)
        cached = timed(lambda: warm.token(installation_id), args.rounds * 10)

        before = len(sandbox.requests("github.app_access_tokens"))
        barrier = threading.Barrier(20)
        cold = tokens("burst")

        def job() -> None:
            barrier.wait()
            cold.token(installation_id)

        started = time.perf_counter()
        threads = [threading.Thread(target=job) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        burst_s = time.perf_counter() - started
        mints = len(sandbox.requests("github.app_access_tokens")) - before
    finally:
        stop_sandbox(sandbox)
        if redis is not None:
            stop_redis(redis)

    print(f"GitHub latency {args.github_ms} ms per call; cache: {kind}")
    print(f"baseline, a mint per job:      median {median_ms(mint):8.2f} ms")
    print(f"product, warm cache:           median {median_ms(cached):8.2f} ms  "
          f"({median_ms(mint) / median_ms(cached):.0f}x faster)")
    print(f"20 jobs at once, cold cache:   {burst_s * 1000:8.2f} ms in all, {mints} mint(s) "
          f"at GitHub (baseline: 20)")


if __name__ == "__main__":
    main()
