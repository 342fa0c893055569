"""OAuth Bridge's Prometheus metrics, each defined once.

Counters and histograms work in prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
see gunicorn.conf.py): each worker writes its own files and a scrape sums them. The
task queue is read from the database at scrape time instead (`TaskQueueCollector`), so it is
right in every process without a multiprocess gauge mode, and tasks run by `db_worker` (which
nothing scrapes) count. The Page link's token expiry is read the same way, by a collector that
lives with the link (`integrations.services.facebook.metrics`): this module is the bottom
layer and imports nothing of the product.
"""

import logging
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

# Path segments kept as they are: the providers' own words, listed (default deny: a word not
# here, such as a repository or a login, is data). Data becomes `{id}`, versions `{version}`.
_LITERALS = frozenset({
    # GitHub (web, REST; GHES and the sandbox add `api`, `github`)
    "login", "oauth", "authorize", "access_token", "user", "emails", "repos", "hooks", "pings",
    "releases", "applications", "token", "grant", "app", "installation", "installations",
    "access_tokens", "repositories", "api", "github",
    # Facebook (dialog, Graph; the sandbox adds `facebook`, `graph`)
    "dialog", "debug_token", "me", "accounts", "feed", "photos", "published_posts",
    "scheduled_posts", "permissions", "facebook", "graph",
})
# Collections whose next segments are always data, whatever they look like: a repository
# named `hooks` is still a repository (`/repos/{owner}/{repo}/…`).
_DATA_AFTER = {"repos": 2, "users": 1, "orgs": 1, "applications": 1, "hooks": 1,
               "installations": 1, "releases": 1}
_VERSION = re.compile(r"v\d+(\.\d+)?")


def endpoint_template(url: str) -> str:
    """A low-cardinality label for a provider URL: no query, and every path segment that comes
    from data (ids, logins, repository and client names, tokens) as a placeholder."""
    labels, data_left = [], 0
    for segment in [s for s in urlsplit(url).path.split("/") if s][:8]:
        if data_left:
            labels.append("{id}")
            data_left -= 1
        elif _VERSION.fullmatch(segment):
            labels.append("{version}")
        elif segment in _LITERALS or segment in _DATA_AFTER:
            labels.append(segment)
            data_left = _DATA_AFTER.get(segment, 0)
        else:
            labels.append("{id}")
    return "/" + "/".join(labels)


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
