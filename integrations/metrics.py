"""Every Prometheus metric of OAuth Bridge, defined once.

Counters and histograms work in prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
see gunicorn.conf.py): each worker writes its own files and a scrape sums them. The Facebook
token expiry and the task queue are read from the database at scrape time instead
(`FacebookTokenExpiryCollector`, `TaskQueueCollector`), so they are right in every process
without a multiprocess gauge mode, and tasks run by `db_worker` (which nothing scrapes) count.
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


class TaskQueueCollector:
    """`oauth_bridge_task_queue_depth{queue}` (ready to run, retries waiting included) and
    `oauth_bridge_tasks_failed{queue}` (failed task results kept until `manage.py sweep` prunes
    them), read from django-tasks-db's table at scrape time."""

    def collect(self):
        from django.db.models import Count
        from django.tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        depth = GaugeMetricFamily("oauth_bridge_task_queue_depth",
                                  "Background tasks waiting to run, by queue.", labels=["queue"])
        failed = GaugeMetricFamily("oauth_bridge_tasks_failed",
                                   "Failed background tasks not yet pruned, by queue.",
                                   labels=["queue"])
        try:
            rows = list(DBTaskResult.objects.filter(status__in=(TaskResultStatus.READY,
                                                              TaskResultStatus.FAILED))
                        .values("queue_name", "status").annotate(n=Count("id")))
        except DatabaseError:
            logger.warning("task queue gauges skipped: the database is unavailable")
            rows = []
        for row in rows:
            family = depth if row["status"] == TaskResultStatus.READY else failed
            family.add_metric([row["queue_name"]], row["n"])
        yield depth
        yield failed
