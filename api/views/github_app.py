"""The GitHub App mode of automations (staff): `GET /api/v1/github/app`,
`POST /api/v1/github/app/install`, `POST /api/v1/github/app/installations`, and the app's one
public webhook `POST /api/v1/github/app/webhook`. Each view calls one automations service."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.flow_binding import flow_binding
from api.schema import error_response, error_responses
from api.serializers import StrictSerializer
from api.views.facebook import StaffView
from api.views.github_webhook import (
    DELIVERY_HEADERS,
    GITHUB_HEADER,
    delivery_answer,
    read_capped_body,
)
from automations import installations as installation_service
from automations import selectors
from automations.app_deliveries import receive_app_delivery
from automations.models import DeliveryOutcome, Installation
from automations.services import app_webhook_url
from integrations.config import github_app_configured

TAGS = ["automations"]
NOT_CONFIGURED = error_response(404, "github_app_not_configured",
                                "The GitHub App is not configured on this server.")

class InstallationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="github_id", help_text="GitHub's installation id")
    account = serializers.CharField(source="account_login")
    repositories = serializers.ListField(child=serializers.CharField(),
                                         help_text="owner/name, as GitHub lists them")

    class Meta:
        model = Installation
        fields = ("id", "account", "account_type", "repository_selection", "suspended",
                  "repositories", "connected_at", "synced_at")


class AppStateSerializer(serializers.Serializer):
    configured = serializers.BooleanField()
    webhook_url = serializers.CharField(allow_null=True)
    installations = InstallationSerializer(many=True)


class GitHubAppView(StaffView):
    @extend_schema(operation_id="github_app", tags=TAGS,
                   responses={200: AppStateSerializer, **error_responses(401, 403)})
    def get(self, request):
        """Is app mode configured, and the connected installations with their repositories."""
        configured = github_app_configured()
        return Response(AppStateSerializer({
            "configured": configured, "webhook_url": app_webhook_url() if configured else None,
            "installations": selectors.live_installations() if configured else []}).data)


class GitHubAppInstallView(StaffView):
    throttle_scope = "oauth_start"

    class Input(StrictSerializer):
        pass

    class Output(serializers.Serializer):
        install_url = serializers.URLField(help_text="GitHub's install page, with a fresh "
                                                     "single-use `state` bound to you.")

    @extend_schema(operation_id="github_app_install", tags=TAGS, request=Input,
                   responses={201: Output, **error_responses(400, 401, 403, 429, 503),
                              404: NOT_CONFIGURED})
    def post(self, request):
        """Start installing the app: where to send the browser (a GET never makes state)."""
        self.Input(data=request.data or {}).is_valid(raise_exception=True)
        url = installation_service.start_app_install(
            user=request.user, binding=flow_binding(request, create=True))
        return Response({"install_url": url}, status=status.HTTP_201_CREATED)


class GitHubAppInstallationsView(StaffView):
    throttle_scope = "oauth_callback"
    provider_bound_methods = ("POST",)  # asks GitHub (api.middleware)

    class Input(StrictSerializer):
        installation_id = serializers.IntegerField(min_value=1, max_value=2**53)
        setup_action = serializers.CharField(max_length=20)
        state = serializers.CharField(max_length=200)

    @extend_schema(
        operation_id="github_app_installation_connect", tags=TAGS, request=Input,
        responses={201: InstallationSerializer,
                   **error_responses(400, 401, 429, 502, 503, 504),
                   403: error_response(403, "installation_not_yours",
                                       "GitHub does not show this installation as yours."),
                   404: NOT_CONFIGURED})
    def post(self, request):
        """Connect the installation GitHub's setup URL named, once GitHub confirms it is yours
        (400 `state_invalid` and the other `state_*`, 403 `installation_not_yours`)."""
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        installation = installation_service.connect_installation(
            user=request.user, binding=flow_binding(request, create=False),
            **data.validated_data)
        return Response(InstallationSerializer(installation).data,
                        status=status.HTTP_201_CREATED)


class GitHubAppWebhookView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()  # the HMAC check is cheap and the body capped

    class Output(serializers.Serializer):
        delivery = serializers.CharField(help_text="X-GitHub-Delivery")
        outcome = serializers.ChoiceField(DeliveryOutcome.choices)
        page_post = serializers.IntegerField(allow_null=True)

    @extend_schema(
        operation_id="github_app_webhook", tags=TAGS, auth=[],
        request={"application/json": {"type": "object"}},
        parameters=[
            *DELIVERY_HEADERS,
            OpenApiParameter("X-GitHub-Delivery", GITHUB_HEADER, OpenApiParameter.HEADER,
                             required=True),
        ],
        responses={
            200: OpenApiResponse(Output, description="Handled: ping, post queued, "
                                                     "installation change applied."),
            202: OpenApiResponse(Output, description="Verified, not acted on."),
            401: error_response(401, "signature_invalid",
                                "The X-Hub-Signature-256 header is missing or does not match."),
            **error_responses(400, 413),
        },
    )
    def post(self, request):
        """Verify (GITHUB_APP_WEBHOOK_SECRET) and handle one delivery of the GitHub App."""
        delivery = receive_app_delivery(
            event=request.headers.get("X-GitHub-Event", ""),
            delivery_id=request.headers.get("X-GitHub-Delivery", ""),
            signature=request.headers.get("X-Hub-Signature-256"),
            body=read_capped_body(request))
        return delivery_answer(delivery)
