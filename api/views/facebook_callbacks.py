"""Facebook's own callbacks: deauthorize, data deletion, and the data-deletion status page.

No session and no CSRF: Facebook's calls are verified by their signed_request. Each view calls
one service from integrations.services.facebook_callbacks.
"""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api import schema_examples as examples
from api.schema import error_responses
from api.views.facebook import TAGS
from integrations.services import facebook_callbacks as callback_service
from integrations.signed_request import MAX_SIGNED_REQUEST_CHARS


class SignedRequestView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (FormParser, MultiPartParser)
    throttle_scope = "provider_callback"
    audit_event, audit_provider = "signed_request", "facebook"  # refusals: see api.errors

    class Input(serializers.Serializer):
        # Only this field is read: a `user_id` form field beside it is ignored (S30).
        signed_request = serializers.CharField(max_length=MAX_SIGNED_REQUEST_CHARS)

    def signed_request(self, request) -> str:
        data = self.Input(data=request.data)  # an oversized body is a 413 (api.errors)
        data.is_valid(raise_exception=True)
        return data.validated_data["signed_request"]


class FacebookDeauthorizeView(SignedRequestView):
    @extend_schema(
        operation_id="facebook_deauthorize", tags=TAGS, auth=[],
        request={"application/x-www-form-urlencoded": SignedRequestView.Input},
        responses={200: OpenApiResponse(description="Done (empty body)."),
                   **error_responses(400, 413, 415, 429)},
    )
    def post(self, request):
        """Called by Facebook when someone removes the app: forget that user's tokens."""
        callback_service.deauthorize_facebook_user(signed_request=self.signed_request(request))
        return Response(status=status.HTTP_200_OK)


class DataDeletionStatusSerializer(serializers.Serializer):
    confirmation_code = serializers.CharField()
    status = serializers.CharField()


class FacebookDataDeletionView(SignedRequestView):
    class Output(serializers.Serializer):
        url = serializers.URLField(help_text="Status page of this request.")
        confirmation_code = serializers.CharField()

    @extend_schema(
        operation_id="facebook_data_deletion", tags=TAGS, auth=[],
        request={"application/x-www-form-urlencoded": SignedRequestView.Input},
        responses={200: Output, **error_responses(400, 413, 415, 429)},
        examples=examples.DATA_DELETION,
    )
    def post(self, request):
        """Facebook's data-deletion callback: forget the user's tokens; answer a status URL."""
        record = callback_service.request_data_deletion(
            signed_request=self.signed_request(request))
        path = reverse("facebook-data-deletion-status", args=[record.confirmation_code])
        return Response({"url": settings.PUBLIC_URL + path,
                         "confirmation_code": record.confirmation_code})


class FacebookDataDeletionStatusView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_scope = "provider_callback"

    @extend_schema(operation_id="facebook_data_deletion_status", tags=TAGS, auth=[],
                   responses={200: DataDeletionStatusSerializer, **error_responses(404, 429)})
    def get(self, request, confirmation_code):
        """Status of a data-deletion request (public; shows nothing but the status)."""
        record = callback_service.data_deletion_status(confirmation_code=confirmation_code)
        if record is None:
            raise NotFound("No data-deletion request has this confirmation code.")
        return Response(DataDeletionStatusSerializer(record).data)
