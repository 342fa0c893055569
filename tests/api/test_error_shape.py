"""Every API error, whatever its cause, answers in the one JSON shape."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from api.errors import exception_handler  # noqa: F401  (the handler under test)
from backend.urls import urlpatterns as real_urlpatterns
from integrations.errors import PostInvalid
from tests.fixtures.assertions import assert_error


class EchoView(APIView):
    permission_classes = (AllowAny,)

    def post(self, request):
        from rest_framework import serializers

        class Input(serializers.Serializer):
            name = serializers.CharField(max_length=5)

        data = Input(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


class BoomView(APIView):
    permission_classes = (AllowAny,)

    def get(self, request):
        raise RuntimeError("secret internals gho_SENTINELAT")


class OnePerDay(AnonRateThrottle):
    rate = "1/day"


class ThrottledView(APIView):
    permission_classes = (AllowAny,)
    throttle_classes = (OnePerDay,)

    def get(self, request):
        return Response({"ok": True})


class PostInvalidView(APIView):
    permission_classes = (AllowAny,)

    def get(self, request):
        raise PostInvalid("Schedule between 10 minutes and 30 days from now.",
                          field="scheduled_at")


class PrivateView(APIView):
    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("api/v1/_test/echo", EchoView.as_view()),
    path("api/v1/_test/boom", BoomView.as_view()),
    path("api/v1/_test/throttled", ThrottledView.as_view()),
    path("api/v1/_test/private", PrivateView.as_view()),
    path("api/v1/_test/post-invalid", PostInvalidView.as_view()),
    *real_urlpatterns,
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


def test_validation_error_names_the_field(api_client):
    body = assert_error(api_client.post("/api/v1/_test/echo", {"name": "toolong"}, format="json"),
                        400, "validation_error")
    assert list(body["fields"]) == ["name"]


def test_post_invalid_from_a_service_names_its_field_like_a_serializer(api_client):
    body = assert_error(api_client.get("/api/v1/_test/post-invalid"), 400, "validation_error")
    assert body["fields"] == {
        "scheduled_at": ["Schedule between 10 minutes and 30 days from now."]}
    assert body["message"] == "scheduled_at: Schedule between 10 minutes and 30 days from now."


def test_malformed_json_is_a_400(api_client):
    response = api_client.post("/api/v1/_test/echo", "{not json", content_type="application/json")
    assert_error(response, 400, "malformed_request")


def test_unauthenticated_is_a_401(api_client):
    assert_error(api_client.get("/api/v1/_test/private"), 401, "not_authenticated")


def test_forbidden_is_a_403(api_client):
    user = get_user_model().objects.create_user("plain")
    api_client.force_authenticate(user)
    from rest_framework.permissions import IsAdminUser

    PrivateView.permission_classes = (IsAdminUser,)
    try:
        assert_error(api_client.get("/api/v1/_test/private"), 403, "permission_denied")
    finally:
        PrivateView.permission_classes = APIView.permission_classes


def test_unknown_api_path_is_a_json_404(api_client):
    assert_error(api_client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(api_client.post("/api/nothing/here", {}), 404, "not_found")


def test_wrong_method_is_a_405(api_client):
    assert_error(api_client.delete("/api/v1/health"), 405, "method_not_allowed")


def test_form_body_on_a_json_endpoint_is_a_415(api_client):
    response = api_client.post("/api/v1/_test/echo", "name=x",
                               content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


def test_throttled_is_a_429_with_retry_after(api_client):
    from django.core.cache import cache

    cache.clear()
    api_client.get("/api/v1/_test/throttled")
    response = api_client.get("/api/v1/_test/throttled")
    body = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) == body["retry_after"] > 0


def test_unexpected_exception_is_a_500_without_internals(api_client, caplog):
    response = api_client.get("/api/v1/_test/boom")
    body = assert_error(response, 500, "server_error")
    assert "SENTINEL" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body == {"code": "server_error", "message": "Something went wrong on our side.",
                    "request_id": response["X-Request-ID"]}


def test_oversized_body_is_a_413_not_a_500(api_client):
    body = '{"name": "' + "x" * 300_000 + '"}'
    response = api_client.post("/api/v1/_test/echo", body, content_type="application/json")
    assert_error(response, 413, "request_too_large")
