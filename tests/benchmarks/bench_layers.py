"""Benchmark: each middleware layer's CPU cost per request, in one process, without a server.

    .venv/bin/python -m tests.benchmarks.bench_layers [--requests 2000] [--rounds 5]

`bench_api --layers` measures the same thing end to end, but on a shared machine its req/s
move more between runs than a layer costs. This counts CPU time of this process only
(`time.process_time`: time spent waiting for a core is not counted) for the product's request
handler with every middleware, and with each layer left out in turn, interleaved over
`--rounds`, signed in (the principal from its prepared query), Redis as the shared cache,
prometheus_client in multiprocess mode and the access log written (to /dev/null) as in
production. Printed: the
median CPU microseconds per request of each variant and what each layer costs.

It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def configure(redis_url: str, workdir: Path) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "backend.settings", "DJANGO_ENV_FILE": "", "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "b" * 20 + "-bench-layers-secret-key-with-enough-entropy-4321",
        "TOKEN_ENCRYPTION_KEYS": "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdDA=",
        "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}", "REDIS_URL": redis_url,
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"), "LOG_LEVEL": "INFO",
    })
    (workdir / "metrics").mkdir()
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (the access lines, as gunicorn's log)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per batch")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--path", default="/api/v1/me")
    args = parser.parse_args()
    out = sys.stdout

    from tests.fixtures.redis import start_redis, stop_redis

    redis_process, redis_url = start_redis()
    workdir = Path(tempfile.mkdtemp(prefix="bench-layers-"))
    try:
        configure(redis_url, workdir)
        results = measure(args)
    finally:
        stop_redis(redis_process)
    print(f"CPU per request of GET {args.path} in one process (median of {args.rounds} "
          f"interleaved batches of {args.requests}):", file=out)
    full = results.pop("all layers")
    print(f"  {'all layers':34} {full:7.0f} us", file=out)
    for name, cost in sorted(results.items(), key=lambda item: item[1]):
        print(f"  without {name:26} {cost:7.0f} us   the layer costs {full - cost:6.0f} us",
              file=out)


def measure(args) -> dict[str, float]:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client, override_settings

    from integrations.models import GitHubAccount

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("github-1", is_staff=True)
    GitHubAccount.objects.create(user=user, github_id=1, login="octocat", access_token="t")
    required = {"SessionMiddleware", "AuthenticationMiddleware"}  # no signed-in /me without
    variants = {"all layers": list(settings.MIDDLEWARE)}
    for path in settings.MIDDLEWARE:
        name = path.rsplit(".", 1)[1]
        if name not in required:
            variants[name] = [p for p in settings.MIDDLEWARE if p != path]
    clients = {}
    for name, middleware in variants.items():
        with override_settings(MIDDLEWARE=middleware):
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user, backend="api.authentication.SessionUserBackend")
            assert client.get(args.path).status_code == 200  # builds its middleware chain
        clients[name] = client
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, client in clients.items():
            started = time.process_time()
            for _ in range(args.requests):
                client.get(args.path)
            samples[name].append((time.process_time() - started) / args.requests * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


if __name__ == "__main__":
    main()
