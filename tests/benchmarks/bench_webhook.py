"""Benchmark: how fast the GitHub webhook answers while Facebook is slow (S50).

    .venv/bin/python -m tests.benchmarks.bench_webhook [--rounds 50] [--facebook-ms 3000]

Facebook is a fake whose Page post takes `--facebook-ms`. Two ways to turn a release delivery
into a Page post are timed, in-process through Django's test client:

* baseline: posting inline (`publish_page_post`), what a webhook that called Facebook would cost;
* product: `POST /api/v1/github/webhook` with a signed release: verify, record, queue the post.

It prints medians and p90; it asserts nothing (figures, not pass/fail).
"""

import argparse
import json
import os
import statistics
import time
import uuid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--facebook-ms", type=int, default=3000)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from automations.models import Automation
    from integrations.config import override_facebook_client
    from integrations.github.webhooks import sign
    from integrations.services.page_posts import publish_page_post
    from tests.fixtures.facebook import FakeFacebook, link, page_manager

    class SlowFacebook(FakeFacebook):
        def publish_to_page(self, *posted, **options):
            time.sleep(args.facebook_ms / 1000)
            return super().publish_to_page(*posted, **options)

    settings.ALLOWED_HOSTS = ["testserver"]  # Django's test client
    connection.creation.create_test_db(verbosity=0)
    try:
        with override_facebook_client(SlowFacebook()):
            staff = APIClient()
            staff.force_login(page_manager("bench"))
            assert link(staff).status_code == 200
            automation = Automation.objects.create(
                repository="octocat/Hello-World", events=["release"], secret="s" * 43,
                message_template="{repository} {tag} is out")
            github = Client()

            releases = iter(range(1, 10**9))

            def webhook() -> None:
                tag = f"v{uuid.uuid4().hex[:8]}"
                body = json.dumps({"action": "published", "release": {
                    "id": next(releases), "tag_name": tag, "name": tag,
                    "html_url": f"https://github.com/r/{tag}", "author": {"login": "octocat"}},
                    "repository": {"id": 1296269,
                                   "full_name": "octocat/Hello-World"}}).encode()
                answer = github.post(f"/api/v1/github/webhook?automation={automation.pk}",
                                     body, content_type="application/json",
                                     HTTP_X_GITHUB_EVENT="release",
                                     HTTP_X_GITHUB_DELIVERY=str(uuid.uuid4()),
                                     HTTP_X_HUB_SIGNATURE_256=sign(automation.secret, body))
                assert answer.status_code == 200, answer.content

            def inline() -> None:
                publish_page_post(message=f"inline {uuid.uuid4().hex}")

            timings: dict[str, list[float]] = {"baseline: post inline": [],
                                               "product: webhook (queued)": []}
            for round_no in range(args.rounds):
                runs = [("product: webhook (queued)", webhook)]
                if round_no < 3:  # the baseline is seconds per call: three are enough
                    runs.append(("baseline: post inline", inline))
                for name, run in runs:
                    started = time.perf_counter()
                    run()
                    timings[name].append((time.perf_counter() - started) * 1000)
    finally:
        connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)

    print(f"Release delivery -> Page post, Facebook takes {args.facebook_ms} ms per post")
    print(f"{'variant':32} {'runs':>5} {'median ms':>10} {'p90 ms':>8} {'max ms':>8}")
    for name, values in timings.items():
        p90 = (statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1
               else values[0])
        print(f"{name:32} {len(values):5d} {statistics.median(values):10.1f} {p90:8.1f} "
              f"{max(values):8.1f}")


if __name__ == "__main__":
    main()
