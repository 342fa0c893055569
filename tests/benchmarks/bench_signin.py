"""Benchmark: what a GitHub sign-in costs, against a baseline measured in the same run.

    .venv/bin/python -m tests.benchmarks.bench_signin [--rounds 20] [--latency-ms 40]

The sandbox adds a fixed latency to every provider call, standing in for the network. Three
ways to finish a sign-in (exchange the code, read /user and /user/emails) are timed:

* baseline: the three calls one after the other, each on a fresh connection (no pool);
* serial-pooled: one after the other on the client's pooled session;
* product: `sign_in_with_github`, the service the callback view calls (reads run concurrently,
  plus the state check and the user upsert in the database).

It prints medians and ratios to the baseline; it asserts nothing (figures, not pass/fail).
"""

import argparse
import os
import statistics
import time
from collections.abc import Callable

import django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--latency-ms", type=int, default=40)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection

    from integrations.config import clear_client_cache, get_github_client
    from integrations.github import GitHubClient
    from integrations.models import FlowClient
    from integrations.services.authorization import GITHUB, start_authorization
    from integrations.services.github import sign_in_with_github
    from tests.fixtures.sandbox import TEST_CREDENTIALS, start_sandbox, stop_sandbox

    connection.creation.create_test_db(verbosity=0)
    sandbox = start_sandbox()
    try:
        settings.GITHUB_URL, settings.GITHUB_API_URL = sandbox.github_url, sandbox.github_api_url
        settings.GITHUB_CLIENT_ID = TEST_CREDENTIALS["SANDBOX_GITHUB_CLIENT_ID"]
        settings.GITHUB_CLIENT_SECRET = TEST_CREDENTIALS["SANDBOX_GITHUB_CLIENT_SECRET"]
        sandbox.register_redirect_uri("github", settings.PUBLIC_URL + "/auth/github/callback")
        clear_client_cache()
        sandbox.set_latency(args.latency_ms)
        binding = "benchmark-browser"

        def consent() -> dict:
            started = start_authorization(GITHUB, client=FlowClient.BROWSER, binding=binding)
            return sandbox.github_consent(started.authorize_url)

        def fresh_client() -> GitHubClient:
            return GitHubClient(settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET,
                                web_url=sandbox.github_url, api_url=sandbox.github_api_url)

        def serial(client_for_call: Callable[[], GitHubClient]) -> Callable[[dict], None]:
            def run(params: dict) -> None:
                from integrations.flows import consume_flow
                from integrations.models import FlowPurpose

                flow = consume_flow(purpose=FlowPurpose.GITHUB_LOGIN, state=params["state"],
                                    binding=binding)
                token = client_for_call().exchange_code(params["code"], flow.redirect_uri,
                                                        flow.code_verifier)
                client_for_call().get_profile(token.access_token)
                client_for_call().get_primary_verified_email(token.access_token)
            return run

        def product(params: dict) -> None:
            sign_in_with_github(state=params["state"], code=params["code"], binding=binding,
                                client=FlowClient.BROWSER)

        variants = {
            "baseline (serial, new connection per call)": serial(fresh_client),
            "serial, pooled session": serial(get_github_client),
            "product: sign_in_with_github": product,
        }
        product(consent())  # warm-up: creates the user, opens pooled connections
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, run in variants.items():  # interleaved, so machine noise hits all alike
                params = consent()
                started = time.perf_counter()
                run(params)
                timings[name].append((time.perf_counter() - started) * 1000)
    finally:
        stop_sandbox(sandbox)
        connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)

    baseline = statistics.median(next(iter(timings.values())))
    print(f"GitHub sign-in, {args.rounds} rounds, sandbox latency {args.latency_ms} ms per call")
    print(f"{'variant':46} {'median ms':>10} {'p90 ms':>8} {'vs baseline':>12}")
    for name, values in timings.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else median
        print(f"{name:46} {median:10.1f} {p90:8.1f} {median / baseline:11.2f}x")


if __name__ == "__main__":
    main()
