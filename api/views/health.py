from django.core.cache import cache
from django.db import DatabaseError, connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api import database_outage
from api.database_outage import RETRY_AFTER_S, is_database_lost
from api.errors import error_body
from api.schema import error_responses


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        if is_database_lost(exc):
            database_outage.outage.lost(exc)  # the outage's one WARNING, whoever sees it first
        return False
    return True


def _task_queue_ok() -> bool:
    """The task queue (django-tasks-db's table) answers: posts and warnings are queued there."""
    try:
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    except DatabaseError:
        return False
    return True


class HealthView(APIView):
    """Readiness: a real database round trip, the task queue's table, and a Redis ping when
    REDIS_URL is set.

    The database down is a 503 (nothing works without it). Redis down is still a 200 with
    `status: degraded` and `cache: unavailable`: the cache fails open (backend/cache.py), so
    the server keeps serving, and a load balancer must not take every host out of rotation
    because of the one Redis they share. An unreadable task queue (e.g. its migration not run)
    is `degraded` too: sign-in and reads still work, queued posts wait.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="health",
        tags=["health"],
        auth=[],
        responses={
            200: inline_serializer("Health", {
                "status": serializers.ChoiceField(choices=["ok", "degraded"]),
                "database": serializers.ChoiceField(choices=["ok"]),
                "tasks": serializers.ChoiceField(
                    choices=["ok", "unavailable"],
                    help_text="The background task queue (in the database) can be read."),
                "cache": serializers.ChoiceField(
                    choices=["ok", "unavailable"], required=False,
                    help_text="Only when a shared cache (REDIS_URL) is configured."),
            }),
            **error_responses(503),
        },
    )
    def get(self, request):
        database = _database_ok()
        checks = {"database": "ok" if database else "unavailable",
                  "tasks": "ok" if database and _task_queue_ok() else "unavailable"}
        ping = getattr(cache, "ping", None)  # only the shared (Redis) cache has one
        if ping is not None:
            checks["cache"] = "ok" if ping() else "unavailable"
        if checks["database"] != "ok":
            body = error_body("database_unavailable", "The database is unavailable.",
                              retry_after=RETRY_AFTER_S)
            return Response({**body, "status": "unavailable", **checks}, status=503,
                            headers={"Retry-After": str(RETRY_AFTER_S)})
        degraded = "unavailable" in checks.values()
        return Response({"status": "degraded" if degraded else "ok", **checks})


class LiveView(APIView):
    """Liveness: the process answers; touches nothing else, so a database outage never gets
    healthy workers restarted."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(operation_id="health_live", tags=["health"], auth=[], responses={
        200: inline_serializer("Live", {"status": serializers.CharField(default="ok")}),
        **error_responses(500)})
    def get(self, request):
        return Response({"status": "ok"})
