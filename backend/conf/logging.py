"""LOGGING for settings.py: plain text by default, one JSON object per line with LOG_FORMAT=json.

Both formats pass every record through the request-context filter (request id, user, client
IP, method, path) and the query-string redaction filter (S24).
"""

from django.core.exceptions import ImproperlyConfigured

# Set by backend.observability on every record of a request; null (`-` in plain text) outside.
CONTEXT_FIELDS = ("request_id", "user_id", "client_ip", "method", "path", "status",
                  "duration_ms")
JSON_FIELDS = ("levelname", "name", "message", *CONTEXT_FIELDS)


def build_logging(*, log_format: str = "plain", level: str = "INFO") -> dict:
    if log_format not in ("plain", "json"):
        raise ImproperlyConfigured(f"LOG_FORMAT must be 'plain' or 'json', not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
                      "defaults": {"request_id": "-"}},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": list(JSON_FIELDS),
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": True,  # ISO 8601 in UTC
                "defaults": dict.fromkeys(CONTEXT_FIELDS),
            },
        },
        "filters": {
            "request_context": {"()": "backend.observability.RequestContextFilter"},
            "redact_queries": {"()": "integrations.log_redaction.RedactQueryStrings"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format,
                        "filters": ["request_context", "redact_queries"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # urllib3 at DEBUG prints request lines with query strings: keep it quiet (S24).
            "urllib3": {"level": "WARNING"},
            "github": {"level": "WARNING"},
            # runserver's access log (`make run`): Django's defaults give it a handler of its own,
            # with no redaction and propagate off. Ours: the redacting handler, and the filter on
            # the logger itself, so no handler can see a callback's code/state or a ?token= (S24).
            "django.server": {"handlers": ["console"], "filters": ["redact_queries"],
                              "level": "INFO", "propagate": False},
        },
    }
