"""A logging filter that keeps query strings out of HTTP client and access logs.

urllib3 logs every request line at DEBUG, and some provider calls must carry a token in the
query string (Graph's `debug_token?input_token=…`); the development server logs the SPA's
callback URLs with their `code` and `state`. Neither may reach a log (S24).
"""

import logging
import re

_QUERY = re.compile(r"\?[^\s\"']*")


class RedactQueryStrings(logging.Filter):
    """Replace `?…` in the records of HTTP client loggers with `?[redacted]`."""

    prefixes = ("urllib3", "requests", "github", "django.server")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(self.prefixes):
            record.msg = _QUERY.sub("?[redacted]", record.getMessage())
            record.args = None
        return True
