"""Benchmark only: the production settings with the middleware named in BENCH_DROP_MIDDLEWARE
(comma-separated class names, e.g. `RequestContextMiddleware`) left out.

`bench_api --layers` serves one of these per layer beside the full product, so each layer's
share of a request is measured in the same run.
"""

import os

from backend.settings import *  # noqa: F403
from backend.settings import MIDDLEWARE

DROPPED = {name for name in os.environ.get("BENCH_DROP_MIDDLEWARE", "").split(",") if name}
MIDDLEWARE = [path for path in MIDDLEWARE if path.rsplit(".", 1)[1] not in DROPPED]
