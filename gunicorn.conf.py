"""Gunicorn settings. Metrics: prometheus_client's multiprocess mode (backend.gunicorn_hooks).

Issue 10's bind / workers / threads settings belong beside these.
"""

from backend import gunicorn_hooks

gunicorn_hooks.prepare_metrics_dir()  # before any worker imports prometheus_client

on_starting = gunicorn_hooks.on_starting
child_exit = gunicorn_hooks.child_exit
on_exit = gunicorn_hooks.on_exit

# Django writes one access line per request (oauth_bridge.access, with the request id).
accesslog = None
