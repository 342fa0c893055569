"""Production server settings: `gunicorn backend.wsgi` reads this file from the repo root.

Threaded workers (gthread): a request waiting on GitHub or Facebook holds a thread, not a whole
process, and at most half of each process's threads may wait on providers at once
(PROVIDER_CONCURRENCY; more get 503 provider_busy at once), so health, /me and the rest always
find a free thread. Every knob is an environment variable; command-line flags still win.
"""

import os

from backend import gunicorn_hooks

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:" + os.environ.get("PORT", "8000"))
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # processes: about one per CPU core
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))  # concurrent requests per process
# Read by the app's settings in each worker (api.middleware.ProviderConcurrencyLimit).
os.environ.setdefault("PROVIDER_CONCURRENCY", str(max(1, threads // 2)))

timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # a worker silent this long is restarted
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))  # finish on SIGTERM
# gunicorn's maximum: longer URLs than MAX_URI_CHARS then reach the app's JSON 414 (api.middleware).
limit_request_line = 8190
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))  # s; above the balancer's idle timeout

# Django writes one access line per request (oauth_bridge.access, with the request id and no
# query string: the SPA's callback URLs carry the OAuth code and state, S24), so gunicorn's own
# access log stays off. To turn it on anyway: accesslog = "-" and this format, without queries.
accesslog = None
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'

# gunicornc's control socket: off unless GUNICORN_CONTROL_SOCKET names a path. gunicorn's
# default path is one per user ($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl), so a
# second instance on the host took the first one's socket over (gunicornc then reached the wrong
# server). Give each instance its own path when you want gunicornc.
control_socket_path = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
if control_socket_path:
    control_socket = control_socket_path
else:
    control_socket_disable = True

# Prometheus metrics: prometheus_client's multiprocess mode, so counters sum across workers.
gunicorn_hooks.prepare_metrics_dir()  # before any worker imports prometheus_client
on_starting = gunicorn_hooks.on_starting
child_exit = gunicorn_hooks.child_exit
on_exit = gunicorn_hooks.on_exit
