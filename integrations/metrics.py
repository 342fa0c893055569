"""Every Prometheus metric of OAuth Bridge, defined once.

Counters and histograms work in prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
see gunicorn.conf.py): each worker writes its own files and a scrape sums them. The Facebook
token expiry is read from the database at scrape time instead (`FacebookTokenExpiryCollector`),
so it is right in every process without a multiprocess gauge mode.

Background task metrics (queue depth, failures) belong here once background tasks exist.
"""

import logging
import math
import re
from urllib.parse import urlsplit

from django.db import DatabaseError
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

SIGNINS = Counter(
    "oauth_bridge_signins", "Sign-in attempts that reached an outcome.",
    ["provider", "client", "outcome"],
)
PROVIDER_REQUESTS = Counter(
    "oauth_bridge_provider_requests", "Outbound provider calls, by endpoint template and status.",
    ["provider", "endpoint", "status"],
)
PROVIDER_REQUEST_SECONDS = Histogram(
    "oauth_bridge_provider_request_seconds", "Outbound provider call duration.",
    ["provider", "endpoint"],
)
PAGE_POSTS = Counter("oauth_bridge_page_posts", "Page post attempts, by outcome.", ["outcome"])
THROTTLED = Counter("oauth_bridge_throttled", "Requests refused by a throttle.", ["scope"])
HTTP_REQUEST_SECONDS = Histogram(
    "oauth_bridge_http_request_seconds", "Request duration by route template (never raw path).",
    ["route", "method", "status"],
)

# Path segments kept as they are: lowercase words (`user`, `access_token`, `me`, `feed`).
# Anything else (ids, logins, client ids) becomes `{id}`; Graph versions become `{version}`.
_WORD = re.compile(r"[a-z_]{1,32}")
_VERSION = re.compile(r"v\d+(\.\d+)?")


def endpoint_template(url: str) -> str:
    """A low-cardinality label for a provider URL: no query, no ids, no tokens."""
    segments = [s for s in urlsplit(url).path.split("/") if s][:6]
    return "/" + "/".join(
        s if _WORD.fullmatch(s) else "{version}" if _VERSION.fullmatch(s) else "{id}"
        for s in segments
    )


class FacebookTokenExpiryCollector:
    """`oauth_bridge_facebook_token_expiry_timestamp_seconds{token}` read from the Page link.

    Series appear only while linked. A Page token taken from a long-lived user token has no
    expiry of its own (it dies with the grant, which `user` and `data_access` show): +Inf.
    """

    def collect(self):
        from integrations.services.facebook.page_link import read_page_link

        gauge = GaugeMetricFamily(
            "oauth_bridge_facebook_token_expiry_timestamp_seconds",
            "When the linked Facebook tokens expire (Unix time; +Inf: no expiry).",
            labels=["token"],
        )
        try:
            link = read_page_link()
        except DatabaseError:
            # Metrics must still answer while the database is down (readiness shows that).
            logger.warning("token expiry gauges skipped: the database is unavailable")
            yield gauge
            return
        if link.is_linked:
            for name, expires_at in (("user", link.user_token_expires_at),
                                     ("data_access", link.data_access_expires_at)):
                gauge.add_metric([name], expires_at.timestamp() if expires_at else math.inf)
            if link.has_page:
                gauge.add_metric(["page"], math.inf)
        yield gauge
