from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import error_responses


class DatabaseUnavailable(APIException):
    status_code = 503
    default_code = "database_unavailable"
    default_detail = "The database is unavailable."


class HealthView(APIView):
    """Readiness: answers ok only after a real database round trip (take out of rotation)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="health",
        tags=["health"],
        auth=[],
        responses={
            200: inline_serializer("Health", {"status": serializers.CharField(default="ok")}),
            **error_responses(503),
        },
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError as exc:
            raise DatabaseUnavailable() from exc
        return Response({"status": "ok"})


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
