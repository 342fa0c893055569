"""Benchmark: the API's hot paths against a bare Django view, measured side by side in one run.

    .venv/bin/python -m tests.benchmarks.bench_api [--duration 5] [--connections 16]

Starts a throwaway Redis, the provider sandbox and two `gunicorn backend.wsgi` servers with the
repo's gunicorn.conf.py on one SQLite database: the product (production settings) and the
baseline (tests.benchmarks.bare_settings: the same settings and middleware, with a URLconf
holding one bare Django view that reads the session user). Then:

* throughput: `wrk` (else a small Python load generator) drives the bare view, GET /api/v1/me,
  GET /api/v1/me/github/token (validity cached after the first check) and POST
  /api/v1/auth/github/authorize (an app start: one row written); two interleaved rounds, so
  machine noise hits all alike. Printed: answered (2xx/3xx) req/s per round and the ratio to
  the bare view, and the workers' CPU time per request (steadier than req/s on a shared
  machine) with its ratio;
* worker memory: the product workers' RSS before and after the throughput rounds, topped up
  with /me to about `--rss-requests` (20,000) requests;
* sign-in: browser GitHub sign-ins with the sandbox adding `--latency-ms` to every provider
  call; p50/p90 of the callback request (the floor is two provider round trips), interleaved
  with the bare server's `bare/signin` (the same three provider calls and nothing else: no
  state check, database or session), so what the product adds over those calls is measured in
  the same run.

It prints figures; it asserts nothing. A full run takes about two minutes.
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
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if done is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}\n{result.stderr}")
    seconds = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--signins", type=int, default=30)
    parser.add_argument("--rss-requests", type=int, default=20000,
                        help="product requests between the two RSS readings (at least)")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--log-level", default="INFO", help="servers' LOG_LEVEL (production: INFO)")
    parser.add_argument("--python-load", action="store_true", help="do not use wrk")
    args = parser.parse_args()
    load = run_python if args.python_load or WRK is None else run_wrk

    workdir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    redis_process, redis_url = start_redis()
    sandbox = start_sandbox()
    servers = []
    try:
        port, bare_port = free_port(), free_port()
        url = f"http://127.0.0.1:{port}"
        env = production_env(
            database_url=f"sqlite:///{workdir / 'db.sqlite3'}", sandbox=sandbox, public_url=url,
            redis_url=redis_url, LOG_LEVEL=args.log_level,
            **{f"THROTTLE_{s}": "100000000/min" for s in (
                "OAUTH_START", "OAUTH_CALLBACK", "PAGE_POST", "PROVIDER_CALLBACK")})
        sandbox.register_redirect_uri("github", url + "/auth/github/callback")
        sandbox.register_redirect_uri("github", APP_REDIRECT_URI)
        migrate(env)
        product = start_gunicorn(env, port)
        servers.append(product)
        bare = start_gunicorn({**env, "DJANGO_SETTINGS_MODULE": "tests.benchmarks.bare_settings"},
                              bare_port)
        servers.append(bare)

        browser, _ = browser_sign_in(url, sandbox)
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
        targets = [
            Target("bare Django view", bare, "/bare/me", cookie=cookie),
            Target("GET /api/v1/me", product, "/api/v1/me", cookie=cookie),
            Target("GET /api/v1/me/github/token", product, "/api/v1/me/github/token",
                   cookie=cookie),
            Target("POST /api/v1/auth/github/authorize", product, "/api/v1/auth/github/authorize",
                   method="POST", body=AUTHORIZE_BODY),
        ]
        for target in targets:  # warm-up: imports, connections, the cached token check
            if load(target, duration_s=1, connections=args.connections,
                    threads=args.threads)[2]:
                print(f"warning: {target.name} answered errors during warm-up")
        rss_before = worker_rss_kib(product.process.pid)
        for _ in range(args.rounds):
            for target in targets:
                cpu_before = worker_cpu_s(target.server.process.pid)
                done, seconds, failures = load(target, duration_s=args.duration,
                                               connections=args.connections,
                                               threads=args.threads)
                target.rates.append((done - failures) / seconds)  # answered requests only
                target.requests += done
                target.failures += failures
                target.cpu_s += worker_cpu_s(target.server.process.pid) - cpu_before
        served = sum(t.requests for t in targets[1:])
        me = targets[1]
        if served < args.rss_requests:  # top up with /me so RSS is compared across that many
            rate = max(1.0, statistics.mean(me.rates))
            seconds = max(1, min(60, round((args.rss_requests - served) / rate)))
            served += load(me, duration_s=seconds, connections=args.connections,
                           threads=args.threads)[0]
        rss_after = worker_rss_kib(product.process.pid)

        sandbox.set_latency(args.latency_ms)
        browser_sign_in(url, sandbox), bare_sign_in(bare.url, url, sandbox)  # warm-up
        signins, bare_signins = [], []
        for _ in range(args.signins):  # interleaved, so machine noise hits both alike
            signins.append(browser_sign_in(url, sandbox)[1])
            bare_signins.append(bare_sign_in(bare.url, url, sandbox))
        sandbox.set_latency(0)
    finally:
        for server in servers:
            server.stop()
        stop_sandbox(sandbox)
        stop_redis(redis_process)
        shutil.rmtree(workdir, ignore_errors=True)

    bare_rate = statistics.mean(targets[0].rates)
    bare_cpu_us = 1e6 * targets[0].cpu_s / targets[0].requests
    print(f"Throughput: {load.__name__}, {args.connections} connections, {args.rounds} "
          f"interleaved rounds of {args.duration:g} s; gunicorn.conf.py, SQLite, Redis, "
          f"LOG_LEVEL={args.log_level}")
    rounds = " ".join(f"{'round ' + str(i + 1):>9}" for i in range(args.rounds))
    print(f"{'endpoint':36} {rounds} {'mean req/s':>10} {'vs bare':>7} {'non-2xx':>7} "
          f"{'worker CPU us/req':>17} {'vs bare':>7}")
    for target in targets:
        mean = statistics.mean(target.rates)
        per_round = " ".join(f"{rate:9.0f}" for rate in target.rates)
        cpu_us = 1e6 * target.cpu_s / max(1, target.requests)
        print(f"{target.name:36} {per_round} {mean:10.0f} {mean / bare_rate:6.2f}x "
              f"{target.failures:7d} {cpu_us:17.0f} {bare_cpu_us / cpu_us:6.2f}x")
    print(f"Product worker RSS (MiB): before {[round(k / 1024, 1) for k in rss_before]}, after "
          f"{[round(k / 1024, 1) for k in rss_after]} ({served} requests in between; "
          f"change {100 * (sum(rss_after) / max(1, sum(rss_before)) - 1):+.1f} %)")
    print(f"GitHub sign-in, {len(signins)} interleaved pairs, sandbox latency {args.latency_ms} "
          f"ms per call (2L = {2 * args.latency_ms} ms; goal 2L + 15 = "
          f"{2 * args.latency_ms + 15} ms):")
    floor_ms = 2 * args.latency_ms
    for name, values in (("product callback", signins),
                         ("bare sign-in (3 calls only)", bare_signins)):
        p50 = statistics.median(values)
        print(f"  {name:28} p50 {p50:6.1f} ms, p90 {percentile(values, 0.9):6.1f} ms, "
              f"p50 - 2L {p50 - floor_ms:5.1f} ms")
    added_ms = statistics.median(signins) - statistics.median(bare_signins)
    print(f"  product - bare (p50): {added_ms:.1f} ms")


if __name__ == "__main__":
    main()
