"""`GET /metrics`: Prometheus text format, only with `Authorization: Bearer <METRICS_TOKEN>`.

Without METRICS_TOKEN the endpoint does not exist (404); a wrong or missing token gets 401.
It is a plain Django view, outside the public API and its schema.
"""

import os

from django.conf import settings
from django.http import HttpResponse
from django.utils.crypto import constant_time_compare
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from api.errors import json_error
from integrations.metrics import TaskQueueCollector
from integrations.services.facebook.metrics import FacebookTokenExpiryCollector


def _authorized(request, token: str) -> bool:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and constant_time_compare(presented.strip(), token)


def _exposition() -> bytes:
    """Every worker's counters (multiprocess mode) or this process's, then the DB gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    scraped = CollectorRegistry()
    scraped.register(FacebookTokenExpiryCollector())
    scraped.register(TaskQueueCollector())
    return generate_latest(registry) + generate_latest(scraped)


def metrics(request):
    token = settings.METRICS_TOKEN
    if not token:
        return json_error(request, "not_found", "Not found.", 404)
    if not _authorized(request, token):
        response = json_error(request, "not_authenticated", "A valid metrics token is required.",
                              401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(_exposition(), content_type=CONTENT_TYPE_LATEST)
