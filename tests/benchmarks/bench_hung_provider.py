"""Benchmark: does a hung provider stall the rest of the API?

    .venv/bin/python -m tests.benchmarks.bench_hung_provider [--levels 0,16,64] [--baseline]

Starts the sandbox and `gunicorn backend.wsgi` with production settings (the repo's
gunicorn.conf.py; `--baseline`: gunicorn's own defaults with `--workers 3`, the README's old
recipe). For each level N it hangs N GitHub sign-in callbacks at GitHub's token endpoint (the
sandbox `timeout` fault, longer than PROVIDER_READ_TIMEOUT_S), then times GET /api/v1/health and
GET /api/v1/me (app token) while they hang, and reports how the hung callbacks ended: status
and code counts and the longest one. It prints figures; it asserts nothing.
"""

import argparse
import base64
import hashlib
import secrets
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from tests.fixtures.sandbox import start_sandbox, stop_sandbox
from tests.fixtures.servers import (
    APP_REDIRECT_URI,
    free_port,
    migrate,
    production_env,
    start_gunicorn,
)


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def _consented_flow(url: str, sandbox) -> dict:
    """An app sign-in up to GitHub's redirect: what its callback will send."""
    verifier, challenge = _pkce()
    started = requests.post(url + "/api/v1/auth/github/authorize", timeout=30, json={
        "client": "app", "redirect_uri": APP_REDIRECT_URI, "code_challenge": challenge})
    started.raise_for_status()
    params = sandbox.github_consent(started.json()["authorize_url"])
    return {"code": params["code"], "state": params["state"], "code_verifier": verifier}


def _callback(url: str, flow: dict, outcomes: list, timeout_s: float) -> None:
    started = time.perf_counter()
    try:
        answer = requests.post(url + "/api/v1/auth/github/callback", json=flow,
                               timeout=timeout_s)
        code = answer.json().get("code", "ok") if answer.status_code >= 400 else "ok"
        outcome = f"{answer.status_code} {code}"
    except requests.RequestException as exc:
        outcome = f"client gave up ({type(exc).__name__})"
    outcomes.append((outcome, time.perf_counter() - started))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _sample(url: str, token: str, window_s: float, max_samples: int) -> dict[str, list[float]]:
    """Alternate health and /me (one keep-alive connection each) for window_s seconds."""
    sessions = {"health": requests.Session(), "me": requests.Session()}
    sessions["me"].headers["Authorization"] = f"Token {token}"
    paths = {"health": "/api/v1/health", "me": "/api/v1/me"}
    timings: dict[str, list[float]] = {"health": [], "me": []}
    deadline = time.monotonic() + window_s
    while time.monotonic() < deadline and len(timings["me"]) < max_samples:
        for name, session in sessions.items():
            started = time.perf_counter()
            try:
                session.get(url + paths[name], timeout=120).raise_for_status()
                timings[name].append((time.perf_counter() - started) * 1000)
            except requests.RequestException:
                timings[name].append(float("inf"))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="0,16,64")
    parser.add_argument("--read-timeout", type=float, default=3.0,
                        help="PROVIDER_READ_TIMEOUT_S of the server (the hang lasts longer)")
    parser.add_argument("--samples", type=int, default=200, help="at most, per endpoint")
    parser.add_argument("--baseline", action="store_true",
                        help="gunicorn defaults + --workers 3 (no repo config), for comparison")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="bench-hung-provider-"))
    sandbox = start_sandbox()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = production_env(database_url=f"sqlite:///{workdir / 'db.sqlite3'}", sandbox=sandbox,
                         public_url=url, PROVIDER_READ_TIMEOUT_S=str(args.read_timeout),
                         **{f"THROTTLE_{s}": "1000000/min" for s in (
                             "OAUTH_START", "OAUTH_CALLBACK", "PAGE_POST", "PROVIDER_CALLBACK")})
    extra: tuple[str, ...] = ()
    if args.baseline:
        (workdir / "none.conf.py").write_text("")
        extra = ("--config", str(workdir / "none.conf.py"), "--workers", "3")
    rows, server = [], None
    try:
        sandbox.register_redirect_uri("github", APP_REDIRECT_URI)
        migrate(env)
        server = start_gunicorn(env, port, extra)
        flow = _consented_flow(url, sandbox)
        signed_in = requests.post(url + "/api/v1/auth/github/callback", json=flow, timeout=30)
        signed_in.raise_for_status()
        token = signed_in.json()["token"]
        hang_s = args.read_timeout + 5
        for level in levels:
            flows = [_consented_flow(url, sandbox) for _ in range(level)]
            if level:
                sandbox.fault("github.token", "timeout", count=level, seconds=hang_s)
            outcomes: list = []
            threads = [threading.Thread(target=_callback, args=(url, f, outcomes, 300))
                       for f in flows]
            for thread in threads:
                thread.start()
            time.sleep(0.5 if level else 0)  # let them reach the server and the provider
            timings = _sample(url, token, window_s=args.read_timeout - 0.6,
                              max_samples=args.samples)
            for thread in threads:
                thread.join()
            sandbox.clear_faults()  # callbacks refused at once never used theirs
            counts = Counter(outcome for outcome, _ in outcomes)
            longest = max((seconds for _, seconds in outcomes), default=0.0)
            rows.append((level, timings, counts, longest))
            time.sleep(hang_s - args.read_timeout if level else 0)  # sandbox threads finish
    finally:
        if server is not None:
            server.stop()
        stop_sandbox(sandbox)

    config = "gunicorn --workers 3 (defaults)" if args.baseline else "repo gunicorn.conf.py"
    print(f"Hung GitHub sign-in callbacks, {config}, PROVIDER_READ_TIMEOUT_S={args.read_timeout}")
    print(f"{'hung':>4} {'health p50':>10} {'p99 ms':>8} {'n':>4} {'/me p50':>8} {'p99 ms':>8}"
          f" {'n':>4}  hung callbacks: outcomes, longest")
    for level, timings, counts, longest in rows:
        health, me = timings["health"], timings["me"]
        outcome = ", ".join(f"{n}x {what}" for what, n in sorted(counts.items())) or "-"
        print(f"{level:4d} {statistics.median(health):10.1f} {_percentile(health, 0.99):8.1f} "
              f"{len(health):4d} {statistics.median(me):8.1f} {_percentile(me, 0.99):8.1f} "
              f"{len(me):4d}  {outcome}; longest {longest:.1f} s")


if __name__ == "__main__":
    main()
