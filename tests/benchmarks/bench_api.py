"""Benchmark: the API's hot paths against two baselines, measured side by side in one run.

    .venv/bin/python -m tests.benchmarks.bench_api [--duration 5] [--connections 16]
    .venv/bin/python -m tests.benchmarks.bench_api --layers   # each middleware's share of /me

Starts a throwaway Redis, the provider sandbox and four `gunicorn backend.wsgi` servers with the
repo's gunicorn.conf.py on one SQLite database:

* the product (production settings);
* the minimal stack (tests.benchmarks.minimal_settings): a minimal Django project, with session,
  CSRF, auth and messages middleware and a plain view reading `request.user` - what a user
  would compare us with;
* the in-stack bare view (tests.benchmarks.bare_settings: the product's settings and
  middleware, with a URLconf holding one bare Django view that reads the session user) - the
  product's fixed cost without the view's own;
* the product again with PRINCIPAL_CACHE=1 (the signed-in principal read from Redis instead of
  its prepared query).

Then:

* throughput: `wrk` (else a small Python load generator) drives the minimal view, the bare
  view, GET /api/v1/me, GET /api/v1/me/github/token (validity cached after the first check) and
  POST /api/v1/auth/github/authorize (an app start: one row written); `--rounds` (3)
  interleaved rounds, so machine noise hits all alike. Printed: answered (2xx/3xx) req/s per
  round, the median over rounds of each round's ratio to the minimal stack and to the bare
  view, and the workers' CPU time per request (steadier than req/s on a shared machine) with
  its ratio to the minimal stack's;
* worker memory: each product server's workers' RSS before and after the throughput rounds,
  topped up with /me to about `--rss-requests` (20,000) requests;
* sign-in: browser GitHub sign-ins with the sandbox adding `--latency-ms` to every provider
  call; p50/p90 of the callback request (the floor is two provider round trips), interleaved
  with the bare server's `bare/signin` (the same three provider calls and nothing else: no
  state check, database or session), so what the product adds over those calls is measured in
  the same run.

`--layers` instead serves, for each middleware in turn, the product without that one layer
(tests.benchmarks.layer_settings) and drives /me on it interleaved with the full product: the
gain when a layer is off is that layer's share of a request.

It prints figures; it asserts nothing. A full run takes about two and a half minutes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

from tests.fixtures.redis import start_redis, stop_redis
from tests.fixtures.sandbox import TEST_CREDENTIALS, start_sandbox, stop_sandbox
from tests.fixtures.servers import (
    APP_REDIRECT_URI,
    free_port,
    migrate,
    production_env,
    start_gunicorn,
)

HERE = Path(__file__).resolve().parent
WRK = shutil.which("wrk")
# An app's authorize body: fixed, so every request is the same (each still writes a new flow).
AUTHORIZE_BODY = json.dumps({"client": "app", "redirect_uri": APP_REDIRECT_URI,
                             "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"})


class Target:
    def __init__(self, name: str, server, path: str, *, method: str = "GET", body: str = "",
                 cookie: str = "") -> None:
        self.name, self.server, self.url = name, server, server.url + path
        self.method, self.body, self.cookie = method, body, cookie
        self.rates: list[float] = []
        self.cpu_s = 0.0
        self.requests = 0
        self.failures = 0


def run_wrk(target: Target, *, duration_s: float, connections: int, threads: int) -> tuple:
    """(requests, seconds, non-2xx) of one wrk run."""
    env = {**os.environ, "WRK_METHOD": target.method, "WRK_BODY": target.body,
           "WRK_COOKIE": target.cookie}
    result = subprocess.run(
        [WRK, f"-t{threads}", f"-c{connections}", f"-d{round(duration_s)}s",
         "-s", str(HERE / "wrk_request.lua"), target.url],
        env=env, capture_output=True, text=True, timeout=duration_s + 60, check=True)
    out = result.stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)\b", out)
    if done is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}\n{result.stderr}")
    seconds = float(done.group(2)) * {"ms": 0.001, "s": 1, "m": 60}[done.group(3)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    failures = int(bad.group(1)) if bad else 0
    if errors:
        failures += sum(int(n) for n in re.findall(r"\d+", errors.group(0)))
    return int(done.group(1)), seconds, failures


def run_python(target: Target, *, duration_s: float, connections: int, threads: int) -> tuple:
    """The same load without wrk: one keep-alive connection per thread (slower client)."""
    parts = urlsplit(target.url)
    headers = {"Cookie": target.cookie} if target.cookie else {}
    if target.body:
        headers["Content-Type"] = "application/json"
    counts = {"done": 0, "bad": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + duration_s

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        done = bad = 0
        while time.monotonic() < deadline:
            conn.request(target.method, parts.path, body=target.body or None, headers=headers)
            response = conn.getresponse()
            response.read()
            done += 1
            bad += not 200 <= response.status < 400
        conn.close()
        with lock:
            counts["done"] += done
            counts["bad"] += bad

    started = time.monotonic()
    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return counts["done"], time.monotonic() - started, counts["bad"]


def _workers(master_pid: int) -> list[dict[str, str]]:
    """/proc/<pid>/status fields of each gunicorn worker (the master's children)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                          if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master_pid):
            found.append({"pid": status.parent.name, **fields})
    return found


def worker_rss_kib(master_pid: int) -> list[int]:
    return sorted(int(w["VmRSS"].split()[0]) for w in _workers(master_pid) if "VmRSS" in w)


def worker_cpu_s(master_pid: int) -> float:
    """User + system CPU seconds the workers have used: less sensitive to a busy machine than
    req/s, since time spent waiting for a core is not counted."""
    total = 0
    for worker in _workers(master_pid):
        try:
            stat = Path(f"/proc/{worker['pid']}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def browser_sign_in(url: str, sandbox) -> tuple[requests.Session, float]:
    """A GitHub sign-in as the SPA does it: (the signed-in session, callback ms)."""
    browser = requests.Session()
    csrf = browser.get(url + "/api/v1/auth/csrf", timeout=30).json()["csrf_token"]
    headers = {"X-CSRFToken": csrf}
    started = browser.post(url + "/api/v1/auth/github/authorize", json={}, headers=headers,
                           timeout=30)
    started.raise_for_status()
    params = sandbox.github_consent(started.json()["authorize_url"])
    began = time.perf_counter()
    answer = browser.post(url + "/api/v1/auth/github/callback", headers=headers, timeout=30,
                          json={"code": params["code"], "state": params["state"]})
    elapsed_ms = (time.perf_counter() - began) * 1000
    answer.raise_for_status()
    return browser, elapsed_ms


def bare_sign_in(bare_url: str, product_url: str, sandbox) -> float:
    """The bare server's sign-in (bare_urls.sign_in) with a code from the sandbox: callback ms."""
    redirect_uri = product_url + "/auth/github/callback"
    query = urlencode({"client_id": TEST_CREDENTIALS["SANDBOX_GITHUB_CLIENT_ID"],
                       "redirect_uri": redirect_uri, "scope": "read:user user:email",
                       "state": "bare-benchmark"})
    params = sandbox.github_consent(f"{sandbox.github_url}/login/oauth/authorize?{query}")
    began = time.perf_counter()
    answer = requests.post(bare_url + "/bare/signin", timeout=30,
                           json={"code": params["code"], "redirect_uri": redirect_uri})
    elapsed_ms = (time.perf_counter() - began) * 1000
    answer.raise_for_status()
    return elapsed_ms


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def minimal_session(minimal_url: str, user_id: int) -> str:
    """The minimal project's session cookie for `user_id` (its own ModelBackend login)."""
    browser = requests.Session()
    browser.post(minimal_url + "/minimal/login", json={"user_id": user_id},
                 timeout=30).raise_for_status()
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def warm_up(targets: list[Target], load, args) -> None:
    """Imports, connections, caches (the token check, the principal) warmed on every target."""
    for target in targets:
        if load(target, duration_s=1, connections=args.connections,
                threads=args.threads)[2]:
            print(f"warning: {target.name} answered errors during warm-up")


def measure_rounds(targets: list[Target], load, args) -> None:
    """`args.rounds` interleaved rounds of each target."""
    for _ in range(args.rounds):
        for target in targets:
            cpu_before = worker_cpu_s(target.server.process.pid)
            done, seconds, failures = load(target, duration_s=args.duration,
                                           connections=args.connections, threads=args.threads)
            target.rates.append((done - failures) / seconds)  # answered requests only
            target.requests += done
            target.failures += failures
            target.cpu_s += worker_cpu_s(target.server.process.pid) - cpu_before


def median_ratio(target: Target, baseline: Target) -> float:
    """The median over rounds of this round's req/s over the baseline's in the same round."""
    return statistics.median(a / b for a, b in zip(target.rates, baseline.rates, strict=True))


def cpu_us(target: Target) -> float:
    return 1e6 * target.cpu_s / max(1, target.requests)


def print_throughput(targets: list[Target], minimal: Target, bare: Target | None) -> None:
    rounds = " ".join(f"{'round ' + str(i + 1):>8}" for i in range(len(minimal.rates)))
    print(f"{'endpoint':36} {rounds} {'vs minimal':>10} {'vs bare':>7} {'non-2xx':>7} "
          f"{'CPU us/req':>10} {'vs minimal':>10}")
    for target in targets:
        per_round = " ".join(f"{rate:8.0f}" for rate in target.rates)
        versus_bare = f"{median_ratio(target, bare):6.2f}x" if bare else f"{'':7}"
        print(f"{target.name:36} {per_round} {median_ratio(target, minimal):9.2f}x "
              f"{versus_bare} {target.failures:7d} {cpu_us(target):10.0f} "
              f"{cpu_us(minimal) / cpu_us(target):9.2f}x")


def start_servers(args, workdir: Path, sandbox, redis_url: str, servers: list):
    """Product, minimal and bare servers on one database; the product's signed-in cookie."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = production_env(
        database_url=f"sqlite:///{workdir / 'db.sqlite3'}", sandbox=sandbox, public_url=url,
        redis_url=redis_url, LOG_LEVEL=args.log_level,
        **{f"THROTTLE_{s}": "100000000/min" for s in (
            "OAUTH_START", "OAUTH_CALLBACK", "PAGE_POST", "PROVIDER_CALLBACK")})
    sandbox.register_redirect_uri("github", url + "/auth/github/callback")
    sandbox.register_redirect_uri("github", APP_REDIRECT_URI)
    migrate(env)
    for settings_module in ("backend.settings", "tests.benchmarks.minimal_settings",
                            "tests.benchmarks.bare_settings"):
        servers.append(start_gunicorn({**env, "DJANGO_SETTINGS_MODULE": settings_module},
                                      port if settings_module == "backend.settings" else None))
    # The product again with the signed-in principal kept in Redis (PRINCIPAL_CACHE=1).
    servers.append(start_gunicorn({**env, "PRINCIPAL_CACHE": "1"}))
    browser, _ = browser_sign_in(url, sandbox)
    return env, browser


def run_layers(args, load, env: dict[str, str], product, cookie: str, servers: list) -> None:
    """/me with each middleware left out in turn, interleaved with the full product."""
    middleware = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(' '.join(settings.MIDDLEWARE))"],
        env=env, capture_output=True, text=True, check=True, timeout=60).stdout.split()
    full = Target("GET /api/v1/me (all layers)", product, "/api/v1/me", cookie=cookie)
    results = []
    # Without sessions or auth there is no signed-in /me to compare.
    required = {"SessionMiddleware", "AuthenticationMiddleware"}
    for layer in [path.rsplit(".", 1)[1] for path in middleware]:
        if layer in required:
            continue
        variant = start_gunicorn({**env, "DJANGO_SETTINGS_MODULE":
                                  "tests.benchmarks.layer_settings",
                                  "BENCH_DROP_MIDDLEWARE": layer})
        servers.append(variant)
        without = Target(f"without {layer}", variant, "/api/v1/me", cookie=cookie)
        full.rates.clear()
        full.cpu_s = full.requests = 0
        warm_up([full, without], load, args)
        measure_rounds([full, without], load, args)
        results.append((layer, median_ratio(without, full), cpu_us(full) - cpu_us(without),
                        without.failures))
        variant.stop()
        servers.remove(variant)
    print(f"Middleware layers: GET /api/v1/me without each layer, {args.rounds} rounds of "
          f"{args.duration:g} s interleaved with the full product ({load.__name__})")
    print(f"{'layer off':36} {'req/s vs all':>12} {'CPU us/req saved':>16} {'non-2xx':>7}")
    for layer, ratio, saved_us, failures in results:
        print(f"{layer:36} {ratio:11.2f}x {saved_us:16.0f} {failures:7d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--signins", type=int, default=30)
    parser.add_argument("--rss-requests", type=int, default=20000,
                        help="product requests between the two RSS readings (at least)")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--log-level", default="INFO", help="servers' LOG_LEVEL (production: INFO)")
    parser.add_argument("--python-load", action="store_true", help="do not use wrk")
    parser.add_argument("--layers", action="store_true",
                        help="only measure each middleware's share of /me")
    args = parser.parse_args()
    load = run_python if args.python_load or WRK is None else run_wrk

    workdir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    redis_process, redis_url = start_redis()
    sandbox = start_sandbox()
    servers = []
    try:
        env, browser = start_servers(args, workdir, sandbox, redis_url, servers)
        product, minimal_server, bare, cached = servers
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
        if args.layers:
            run_layers(args, load, env, product, cookie, servers)
            return
        user_id = browser.get(product.url + "/api/v1/me", timeout=30).json()["id"]
        minimal = Target("minimal Django project", minimal_server, "/minimal/me",
                         cookie=minimal_session(minimal_server.url, user_id))
        targets = [
            minimal,
            Target("bare view (product stack)", bare, "/bare/me", cookie=cookie),
            Target("GET /api/v1/me", product, "/api/v1/me", cookie=cookie),
            Target("GET /api/v1/me (PRINCIPAL_CACHE=1)", cached, "/api/v1/me", cookie=cookie),
            Target("GET /api/v1/me/github/token", product, "/api/v1/me/github/token",
                   cookie=cookie),
            Target("POST /api/v1/auth/github/authorize", product, "/api/v1/auth/github/authorize",
                   method="POST", body=AUTHORIZE_BODY),
        ]
        warm_up(targets, load, args)
        rss = {target.name: [worker_rss_kib(target.server.process.pid)]
               for target in targets[2:4]}
        measure_rounds(targets, load, args)
        for me in targets[2:4]:  # /me tops up each product server to the RSS request count
            served = sum(t.requests for t in targets if t.server is me.server)
            if served < args.rss_requests:
                rate = max(1.0, statistics.mean(me.rates))
                seconds = max(1, min(60, round((args.rss_requests - served) / rate)))
                served += load(me, duration_s=seconds, connections=args.connections,
                               threads=args.threads)[0]
            rss[me.name] += [worker_rss_kib(me.server.process.pid), served]

        sandbox.set_latency(args.latency_ms)
        browser_sign_in(product.url, sandbox), bare_sign_in(bare.url, product.url, sandbox)
        signins, bare_signins = [], []
        for _ in range(args.signins):  # interleaved, so machine noise hits both alike
            signins.append(browser_sign_in(product.url, sandbox)[1])
            bare_signins.append(bare_sign_in(bare.url, product.url, sandbox))
        sandbox.set_latency(0)
    finally:
        for server in servers:
            server.stop()
        stop_sandbox(sandbox)
        stop_redis(redis_process)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"Throughput: {load.__name__}, {args.connections} connections, {args.rounds} "
          f"interleaved rounds of {args.duration:g} s; gunicorn.conf.py, SQLite, Redis, "
          f"LOG_LEVEL={args.log_level}. Ratios: median over rounds of req/s over the "
          f"baseline's in the same round")
    print_throughput(targets, minimal, targets[1])
    for name, (rss_before, rss_after, served) in rss.items():
        print(f"Worker RSS (MiB), server of {name}: before "
              f"{[round(k / 1024, 1) for k in rss_before]}, after "
              f"{[round(k / 1024, 1) for k in rss_after]} ({served} requests in between; "
              f"change {100 * (sum(rss_after) / max(1, sum(rss_before)) - 1):+.1f} %)")
    print(f"GitHub sign-in, {len(signins)} interleaved pairs, sandbox latency {args.latency_ms} "
          f"ms per call (2L = {2 * args.latency_ms} ms):")
    floor_ms = 2 * args.latency_ms
    for name, values in (("product callback", signins),
                         ("bare sign-in (3 calls only)", bare_signins)):
        p50 = statistics.median(values)
        print(f"  {name:28} p50 {p50:6.1f} ms, p90 {percentile(values, 0.9):6.1f} ms, "
              f"p50 - 2L {p50 - floor_ms:5.1f} ms")
    added_ms = statistics.median(signins) - statistics.median(bare_signins)
    print(f"  product - bare (p50): {added_ms:.1f} ms (goal: within 5 ms)")


if __name__ == "__main__":
    main()
