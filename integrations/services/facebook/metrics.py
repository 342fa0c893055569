"""The Page link's Prometheus gauges, read from the link row at scrape time.

They live here, beside the link they read, rather than in `integrations.metrics` (the bottom
layer, imported by `integrations.http`): a definition module that read the link would make the
HTTP layer depend on the services above it. `backend.metrics_view` registers the collector.
"""

from __future__ import annotations

import logging
import math

from django.db import DatabaseError
from prometheus_client.core import GaugeMetricFamily

from integrations.services.facebook.page_link import read_page_link

logger = logging.getLogger(__name__)


class FacebookTokenExpiryCollector:
    """`oauth_bridge_facebook_token_expiry_timestamp_seconds{token}` read from the Page link.

    Series appear only while linked. A Page token taken from a long-lived user token has no
    expiry of its own (it dies with the grant, which `user` and `data_access` show): +Inf.
    """

    def collect(self):
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
