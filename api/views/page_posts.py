"""Staff-only posts to the linked Facebook Page: the history, and a new post (idempotent).

The view parses its input and the Idempotency-Key, calls integrations.services.page_posts and
serializes the post; errors are raised and mapped once by api.errors.
"""

import re

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from api import schema_examples as examples
from api.schema import error_response, error_responses
from api.serializers import StaffUserSerializer, StrictSerializer
from api.views.facebook import TAGS, StaffView
from automations.selectors import post_sources
from integrations.models import IN_PROGRESS_STATUSES, PagePost, PagePostSource
from integrations.services import page_posts as page_post_service
from integrations.services.media import image_url
from integrations.services.post_targets import post_targets

# 1-255 printable ASCII, no leading/trailing space; the schema states the same (one pattern).
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$"
IDEMPOTENCY_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)
IDEMPOTENCY_KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 255,
                          "pattern": IDEMPOTENCY_KEY_PATTERN}


class PostAutomationSerializer(serializers.Serializer):
    """Where an automation's post came from (the GitHub delivery that queued it)."""

    automation = serializers.IntegerField(source="automation_id", allow_null=True)
    repository = serializers.CharField()
    tag = serializers.CharField()
    delivery_id = serializers.CharField()


class PostTargetSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=["facebook", "instagram"])
    status = serializers.CharField(help_text=(
        "Facebook: the post's `status`. Instagram: `queued`, `waiting_quota` (the 24-hour "
        "publishing limit is reached: waiting for the window), `creating`, `processing` "
        "(Instagram is processing the image), `publishing`, then `published` or `failed`."))
    provider_id = serializers.CharField(allow_null=True, help_text="The post's id there.")
    permalink = serializers.URLField(allow_null=True)
    error_code = serializers.CharField(allow_null=True)
    error_message = serializers.CharField(allow_null=True)
    container_id = serializers.CharField(allow_null=True, help_text=(
        "Instagram: the media container being published (kept across retries)."))
    next_check_at = serializers.DateTimeField(allow_null=True, help_text=(
        "When the worker looks again (a retry, a container status check, a full quota)."))


class PostImageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class PagePostSerializer(serializers.ModelSerializer):
    """`context["sources"]` maps post ids to the deliveries that queued them (history only)."""

    created_by = StaffUserSerializer(allow_null=True)
    link = serializers.SerializerMethodField()
    automation = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()
    targets = serializers.SerializerMethodField()

    class Meta:
        model = PagePost
        fields = ("id", "status", "message", "link", "scheduled_at", "page_id",
                  "facebook_post_id", "error_code", "error_message", "source", "created_by",
                  "created_at", "completed_at", "attempts", "next_attempt_at", "automation",
                  "image", "facebook_photo_id", "targets")
        extra_kwargs = {
            "status": {"help_text": (
                "`queued` (waiting for the worker), `pending` (being sent), `retrying` (a "
                "transient Facebook failure; see `next_attempt_at`), `unknown` (Facebook did not "
                "answer: the Page is being read to find out), then `published`, `scheduled` or "
                "`failed`.")},
            "attempts": {"help_text": "Calls made to Facebook to publish it so far."},
            "next_attempt_at": {"help_text": "When the worker tries again (retrying, unknown)."},
            "error_code": {"help_text": "The last error (also while retrying)."},
        }

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_link(self, post):
        return post.link or None

    @extend_schema_field(PostImageSerializer(allow_null=True))
    def get_image(self, post):
        if post.image is None:
            return None
        image = post.image
        return {"id": image.pk, "url": image_url(image), "width": image.width,
                "height": image.height}

    @extend_schema_field(PostTargetSerializer(many=True))
    def get_targets(self, post):
        return PostTargetSerializer(post_targets(post), many=True).data

    @extend_schema_field(PostAutomationSerializer(allow_null=True))
    def get_automation(self, post):
        delivery = self.context.get("sources", {}).get(post.pk)
        return PostAutomationSerializer(delivery).data if delivery else None


class PostHistoryPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        """As documented, not DRF's silent fallback: a page size that is not a whole number
        from 1 to 100 is a 400 naming the parameter."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError({self.page_size_query_param: [
                f"A whole number from 1 to {self.max_page_size}."]})
        return int(raw)


class PagePostsView(StaffView):
    throttle_scope = "page_post"
    audit_event, audit_provider = "page_post", "facebook"  # refusals: see api.errors
    provider_bound_methods = ("POST",)  # see api.middleware.ProviderConcurrencyLimit

    class Input(StrictSerializer):
        message = serializers.CharField(allow_blank=True, trim_whitespace=False)
        link = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                     trim_whitespace=False)
        scheduled_at = serializers.DateTimeField(required=False, allow_null=True)
        image = serializers.IntegerField(
            required=False, allow_null=True, min_value=1,
            help_text="An uploaded image's id (POST /media): a photo post, the link in its text.")
        targets = serializers.ListField(
            child=serializers.ChoiceField(choices=["facebook", "instagram"]), required=False,
            min_length=1, max_length=2, help_text=(
                'Where to post: ["facebook"] (the default) or ["facebook", "instagram"] (needs '
                "an image, Instagram connected, a caption within Instagram's rules and an "
                "aspect ratio from 4:5 to 1.91:1)."))

        def validate(self, data):
            errors = page_post_service.post_input_errors(
                message=data["message"], link=data.get("link"),
                scheduled_at=data.get("scheduled_at"))
            if errors:
                raise ValidationError({field: [problem] for field, problem in errors.items()})
            return data

    def get_throttles(self):
        return super().get_throttles() if self.request.method == "POST" else []

    @extend_schema(
        operation_id="facebook_page_posts", tags=TAGS,
        parameters=[OpenApiParameter("page", {"type": "integer", "minimum": 1},
                                     description="Page number (from 1)."),
                    OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": 100},
                                     description="20 by default, at most 100.")],
        responses={200: inline_serializer("PagePostHistory", {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": PagePostSerializer(many=True)}),
            **error_responses(400, 401, 403, 404)},
    )
    def get(self, request):
        """Every post attempt, newest first, paginated (`?page=N&page_size=M`)."""
        paginator = PostHistoryPagination()
        posts = paginator.paginate_queryset(
            page_post_service.page_post_history(),
            request, view=self)
        sources = post_sources(post.pk for post in posts)
        return paginator.get_paginated_response(
            PagePostSerializer(posts, many=True, context={"sources": sources}).data)

    @extend_schema(
        operation_id="facebook_page_post_create", tags=TAGS, request=Input,
        parameters=[OpenApiParameter(
            "Idempotency-Key", IDEMPOTENCY_KEY_SCHEMA, OpenApiParameter.HEADER, required=True,
            description="1 to 255 printable ASCII characters, unique per post (e.g. a UUID). A "
                        "retry with the same key and body answers 200 with the same post and "
                        "never publishes twice; the same key with another body is a 422.")],
        responses={
            201: OpenApiResponse(PagePostSerializer, description="Published or scheduled."),
            202: OpenApiResponse(PagePostSerializer, description=(
                "Accepted, not settled yet: `retrying` after a transient Facebook failure, or "
                "`unknown` when Facebook did not answer (the worker reads the Page to find out; "
                "it is never sent twice). Poll the history for the outcome.")),
            200: OpenApiResponse(PagePostSerializer, description=(
                "A retry of an earlier request with this key: that post, whatever its status "
                "(header `Idempotent-Replayed: true`).")),
            **error_responses(400, 401, 403, 409, 415, 429, 502),
            422: error_response(422, "idempotency_key_reused",
                        "This Idempotency-Key was already used for a different post."),
        },
        examples=examples.PAGE_POST_CREATE,
    )
    def post(self, request):
        """Post to the linked Page now or scheduled. 409 `not_linked` without a Page, 409
        `idempotency_in_progress` (with Retry-After) while a request with this key is still
        sending; a final Facebook failure is recorded on the post and answered 502 (or 4xx)."""
        key = request.headers.get("Idempotency-Key", "")
        if not IDEMPOTENCY_KEY_RE.match(key):
            raise ValidationError({"Idempotency-Key": [
                "Send an Idempotency-Key header of 1 to 255 printable ASCII characters."]})
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = page_post_service.submit_page_post(
            message=data.validated_data["message"], link=data.validated_data.get("link") or None,
            scheduled_at=data.validated_data.get("scheduled_at"), idempotency_key=key,
            created_by=request.user, source=PagePostSource.API,
            image=data.validated_data.get("image"),
            targets=tuple(data.validated_data.get("targets") or ("facebook",)))
        body = PagePostSerializer(outcome.post).data
        if outcome.replayed:
            return Response(body, status=status.HTTP_200_OK,
                            headers={"Idempotent-Replayed": "true"})
        if outcome.post.status in IN_PROGRESS_STATUSES:
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return Response(body, status=status.HTTP_201_CREATED)
