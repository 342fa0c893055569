"""`POST /api/v1/github/webhook`: GitHub's deliveries for the release automations.

Public (no session, so no CSRF): each delivery is verified by its X-Hub-Signature-256. The view
caps the body before reading it and hands the raw bytes to automations.deliveries; it never
parses JSON itself and never calls Facebook (the post is queued).

The body is read from the stream, not `request.body`: that one is capped by Django's
DATA_UPLOAD_MAX_MEMORY_SIZE (256 kB, right for every other endpoint, too small for a release
with long notes); this endpoint's one cap is deliveries.MAX_BODY_BYTES.
"""

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import error_response, error_responses
from automations.deliveries import HEADER_VALUE, MAX_BODY_BYTES, receive_delivery
from automations.models import DeliveryOutcome, WebhookDelivery

# GitHub's character set for its event names and delivery GUIDs; anything else is a 400.
GITHUB_HEADER = {"type": "string", "pattern": f"^{HEADER_VALUE.pattern}$"}
# What GitHub sends with every delivery, to this webhook and to the app's.
DELIVERY_HEADERS = [
    OpenApiParameter("X-Hub-Signature-256", str, OpenApiParameter.HEADER, required=True),
    OpenApiParameter("X-GitHub-Event", GITHUB_HEADER, OpenApiParameter.HEADER, required=True),
]
# Answered 202: received and verified, but nothing was done with it.
NOT_ACTED_ON = {DeliveryOutcome.IGNORED, DeliveryOutcome.DISABLED}


class GitHubWebhookView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    # GitHub sends bursts from few addresses; the HMAC check is cheap and the body capped.
    throttle_classes = ()

    class Output(serializers.Serializer):
        delivery = serializers.CharField(help_text="X-GitHub-Delivery")
        outcome = serializers.ChoiceField(DeliveryOutcome.choices)
        page_post = serializers.IntegerField(allow_null=True)

    @extend_schema(
        operation_id="github_webhook", tags=["automations"], auth=[],
        request={"application/json": {"type": "object"}},
        parameters=[
            OpenApiParameter("automation", int, OpenApiParameter.QUERY,
                             description="The automation whose secret signs the delivery."),
            *DELIVERY_HEADERS,
            OpenApiParameter("X-GitHub-Delivery", GITHUB_HEADER, OpenApiParameter.HEADER,
                             required=True, description="Unique per automation."),
        ],
        responses={
            200: OpenApiResponse(Output, description="Handled (ping, post queued, failure "
                                                     "recorded, or a redelivery of one)."),
            202: OpenApiResponse(Output, description="Verified, not acted on (other events)."),
            401: error_response(401, "signature_invalid",
                                "The X-Hub-Signature-256 header is missing or does not match."),
            **error_responses(400, 413),  # 413: a body over 5 MiB (deliveries.MAX_BODY_BYTES)
        },
    )
    def post(self, request):
        """Verify and handle one GitHub delivery (release automations)."""
        delivery = receive_delivery(
            automation_id=request.query_params.get("automation"),
            event=request.headers.get("X-GitHub-Event", ""),
            delivery_id=request.headers.get("X-GitHub-Delivery", ""),
            signature=request.headers.get("X-Hub-Signature-256"),
            body=read_capped_body(request),
        )
        return delivery_answer(delivery)


def delivery_answer(delivery: WebhookDelivery) -> Response:
    """200 when acted on (or a ping), 202 when verified but not acted on."""
    answer = {"delivery": delivery.delivery_id, "outcome": delivery.outcome,
              "page_post": delivery.page_post_id}
    code = status.HTTP_202_ACCEPTED if delivery.outcome in NOT_ACTED_ON else status.HTTP_200_OK
    return Response(answer, status=code)


def read_capped_body(request) -> bytes:
    """The raw body, refused (413) from its declared length before a byte is read (S50)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        raise RequestDataTooBig
    stream = request.stream  # None for an empty body
    body = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
    if len(body) > MAX_BODY_BYTES:  # a stream longer than declared never gets this far
        raise RequestDataTooBig
    return body
