"""Benchmark only: the production settings with a URLconf holding one bare Django view.

bench_api.py serves this beside the product (same gunicorn.conf.py, middleware, database and
cache), so the product's figures have a baseline measured in the same run.
"""

from backend.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.bare_urls"
