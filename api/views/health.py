from django.core.cache import cache
from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import error_body
from api.schema import error_responses


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


class HealthView(APIView):
    """Readiness: a real database round trip, and a Redis ping when REDIS_URL is set.

    The database down is a 503 (nothing works without it). Redis down is still a 200 with
    `status: degraded` and `cache: unavailable`: the cache fails open (backend/cache.py), so
    the server keeps serving, and a load balancer must not take every host out of rotation
    because of the one Redis they share.
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
                "cache": serializers.ChoiceField(
                    choices=["ok", "unavailable"], required=False,
                    help_text="Only when a shared cache (REDIS_URL) is configured."),
            }),
            **error_responses(503),
        },
    )
    def get(self, request):
        checks = {"database": "ok" if _database_ok() else "unavailable"}
        ping = getattr(cache, "ping", None)  # only the shared (Redis) cache has one
        if ping is not None:
            checks["cache"] = "ok" if ping() else "unavailable"
        if checks["database"] != "ok":
            body = error_body("database_unavailable", "The database is unavailable.")
            return Response({**body, "status": "unavailable", **checks}, status=503)
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
