"""Staff-only Facebook Page link and Page posts, plus Facebook's own (unauthenticated) callbacks.

Each view parses its input, calls one service from integrations.services.facebook and
serializes the answer; errors are raised and mapped once by api.errors.
"""

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import ApiTokenAuthentication
from api.schema import ErrorSerializer, error_responses
from api.serializers import STATE_REGEX, StrictSerializer
from integrations.flows import SESSION_BINDING_KEY, session_binding
from integrations.models import PagePost, PagePostSource
from integrations.services import facebook as facebook_service

TAGS = ["facebook"]
# Facebook's codes are longer than GitHub's; still printable ASCII without spaces (S33).
FACEBOOK_CODE_REGEX = r"^[\x21-\x7e]{1,2048}$"
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$")
SIGNED_REQUEST_MAX_CHARS = 8192
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


class IsStaffUser(BasePermission):
    """Signed in (401 otherwise) and staff (403 otherwise)."""

    message = "Only staff can manage the Facebook Page."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


def _binding(request, *, create: bool) -> str | None:
    """What the flow state is bound to: the browser session, or the API token in use."""
    if isinstance(request.successful_authenticator, ApiTokenAuthentication):
        return "api-token:" + request.auth.digest
    if create:
        return session_binding(request.session)
    return request.session.get(SESSION_BINDING_KEY)


def _error(status_code: int, code: str, message: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=f"Error ({code})", examples=[
        OpenApiExample(f"{status_code} {code}", value={"code": code, "message": message},
                       response_only=True)])


class StaffView(APIView):
    """Staff only; throttled by `throttle_scope` (the default scoped throttle of settings)."""

    permission_classes = (IsStaffUser,)


# --- Output shapes ------------------------------------------------------------------------------


class TokenCheckSerializer(serializers.Serializer):
    valid = serializers.BooleanField(
        allow_null=True, help_text="null when Facebook could not be asked right now.")
    expires_at = serializers.DateTimeField(allow_null=True, help_text="null: never expires.")
    data_access_expires_at = serializers.DateTimeField(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField())
    missing_scopes = serializers.ListField(child=serializers.CharField())
    checked_at = serializers.DateTimeField()
    error_code = serializers.CharField(allow_null=True)
    error_message = serializers.CharField(allow_null=True)


class PageSummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField(allow_null=True)
    tasks = serializers.ListField(child=serializers.CharField())


class StaffUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class LinkStateSerializer(serializers.Serializer):
    linked = serializers.BooleanField(help_text="A Facebook user is connected.")
    page_selected = serializers.BooleanField(help_text="A Page is chosen and its token stored.")
    relink_needed = serializers.BooleanField(
        help_text="A token is invalid or lacks a permission: run the link flow again.")
    facebook_user_id = serializers.CharField(allow_null=True)
    page = serializers.SerializerMethodField()
    pages = PageSummarySerializer(many=True, help_text="Pages to choose from (no tokens).")
    token = TokenCheckSerializer(allow_null=True, help_text="The long-lived user token.")
    page_token = TokenCheckSerializer(allow_null=True)
    linked_by = StaffUserSerializer(allow_null=True)
    linked_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(inline_serializer("LinkedPage", {
        "id": serializers.CharField(), "name": serializers.CharField()}, allow_null=True))
    def get_page(self, state):
        return {"id": state.page_id, "name": state.page_name} if state.page_id else None


LINK_STATE_EXAMPLE = {
    "linked": True, "page_selected": True, "relink_needed": False,
    "facebook_user_id": "10000000000001", "page": {"id": "200000000000001", "name": "Our Page"},
    "pages": [{"id": "200000000000001", "name": "Our Page", "category": "Community",
               "tasks": ["CREATE_CONTENT", "MANAGE"]}],
    "token": {"valid": True, "expires_at": "2027-01-27T10:00:00Z",
              "data_access_expires_at": "2027-02-26T10:00:00Z",
              "scopes": ["pages_show_list", "pages_read_engagement", "pages_manage_posts"],
              "missing_scopes": [], "checked_at": "2026-11-28T10:00:00Z", "error_code": None,
              "error_message": None},
    "page_token": {"valid": True, "expires_at": None,
                   "data_access_expires_at": "2027-02-26T10:00:00Z",
                   "scopes": ["pages_show_list", "pages_read_engagement", "pages_manage_posts"],
                   "missing_scopes": [], "checked_at": "2026-11-28T10:00:00Z",
                   "error_code": None, "error_message": None},
    "linked_by": {"id": 1, "username": "octocat"}, "linked_at": "2026-11-28T09:59:00Z",
}
NOT_LINKED_EXAMPLE = {
    "linked": False, "page_selected": False, "relink_needed": False, "facebook_user_id": None,
    "page": None, "pages": [], "token": None, "page_token": None, "linked_by": None,
    "linked_at": None,
}


def _link_state_response(status_code=status.HTTP_200_OK) -> Response:
    return Response(LinkStateSerializer(facebook_service.facebook_link_state()).data,
                    status=status_code)


# --- Linking ------------------------------------------------------------------------------------


class FacebookAuthorizeView(StaffView):
    throttle_scope = "oauth_start"

    class Input(StrictSerializer):
        pass

    class Output(serializers.Serializer):
        authorize_url = serializers.URLField()
        state = serializers.CharField()
        expires_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="facebook_authorize", tags=TAGS, request=Input,
        responses={201: Output, **error_responses(400, 401, 403, 415, 429, 503)},
        examples=[OpenApiExample("Start", value={}, request_only=True),
                  OpenApiExample("Started", response_only=True, status_codes=["201"], value={
                      "authorize_url": "https://www.facebook.com/v25.0/dialog/oauth?client_id=…",
                      "state": "x" * 43, "expires_at": "2026-11-28T10:10:00Z"})],
    )
    def post(self, request):
        """Start linking the Page: a single-use state bound to you and Facebook's dialog URL."""
        self.Input(data=request.data or {}).is_valid(raise_exception=True)
        started = facebook_service.start_facebook_link(binding=_binding(request, create=True),
                                                       user=request.user)
        return Response(self.Output(started).data, status=status.HTTP_201_CREATED)


class FacebookCallbackView(StaffView):
    throttle_scope = "oauth_callback"

    class Input(StrictSerializer):
        state = serializers.RegexField(STATE_REGEX)
        code = serializers.RegexField(FACEBOOK_CODE_REGEX, required=False)
        error = serializers.RegexField(r"^[a-z_]{1,64}$", required=False)
        error_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
        error_description = serializers.CharField(required=False, allow_blank=True,
                                                  max_length=500)
        error_code = serializers.CharField(required=False, allow_blank=True, max_length=20)

        def validate(self, data):
            if ("code" in data) == ("error" in data):
                raise ValidationError({"code": ["Send either code or error (not both)."]})
            return data

    @extend_schema(
        operation_id="facebook_callback", tags=TAGS, request=Input,
        responses={200: LinkStateSerializer,
                   **error_responses(400, 401, 403, 415, 429, 502, 503, 504)},
        examples=[
            OpenApiExample("Code", request_only=True, value={"code": "AQD…", "state": "x" * 43}),
            OpenApiExample("Cancelled", request_only=True, value={
                "error": "access_denied", "error_reason": "user_denied",
                "error_description": "Permissions error.", "state": "x" * 43}),
            OpenApiExample("Linked", response_only=True, value=LINK_STATE_EXAMPLE),
            OpenApiExample("Permission missing", response_only=True, status_codes=["403"],
                           value={"code": "permission_missing",
                                  "message": "Facebook did not grant every permission …",
                                  "missing": ["pages_manage_posts"]}),
        ],
    )
    def post(self, request):
        """Finish linking: exchange the code, check the token, list the Pages (one: selected).

        Errors: `state_*` (400), `access_denied` (400, the person cancelled: the provider's
        description as plain text), `authorization_failed` (400, e.g. expired code),
        `permission_missing` (403, with `missing`), `no_postable_page` (400).
        """
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        args = dict(state=data.validated_data["state"], binding=_binding(request, create=False),
                    user=request.user)
        if "error" in data.validated_data:
            description = _CONTROL_CHARS.sub(" ", data.validated_data.get("error_description",
                                                                          "")).strip()
            facebook_service.refuse_facebook_link(error=data.validated_data["error"],
                                                  description=description, **args)
        facebook_service.link_facebook_page(code=data.validated_data["code"], **args)
        return _link_state_response()


class FacebookPagesView(StaffView):
    class Output(PageSummarySerializer):
        selected = serializers.BooleanField()

    @extend_schema(
        operation_id="facebook_pages", tags=TAGS,
        responses={200: inline_serializer("FacebookPages", {"results": Output(many=True)}),
                   **error_responses(401, 403, 409, 502, 504)},
    )
    def get(self, request):
        """Pages the linked Facebook user can create content on (live from Facebook)."""
        pages = facebook_service.list_postable_pages()
        return Response({"results": self.Output(pages, many=True).data})


class FacebookPageView(StaffView):
    class Input(StrictSerializer):
        page_id = serializers.RegexField(r"^[A-Za-z0-9_.-]{1,64}$")

    @extend_schema(
        operation_id="facebook_page", tags=TAGS,
        responses={200: LinkStateSerializer, **error_responses(401, 403)},
        examples=[OpenApiExample("Linked", response_only=True, value=LINK_STATE_EXAMPLE),
                  OpenApiExample("Not linked", response_only=True, value=NOT_LINKED_EXAMPLE)],
    )
    def get(self, request):
        """The link, with live validity of the user and Page tokens (checked at most every
        minute). `relink_needed` is true when Facebook rejects a token; `valid` is null when
        Facebook could not be asked."""
        return _link_state_response()

    @extend_schema(
        operation_id="facebook_page_select", tags=TAGS, request=Input,
        responses={200: LinkStateSerializer, **error_responses(400, 401, 403, 409, 415, 502, 504)},
        examples=[OpenApiExample("Choose", request_only=True,
                                 value={"page_id": "200000000000001"})],
    )
    def put(self, request):
        """Choose the Page to post to (one the linked user can create content on; else 400
        `page_not_manageable`) and store its Page token."""
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        facebook_service.select_facebook_page(page_id=data.validated_data["page_id"],
                                              user=request.user)
        return _link_state_response()

    @extend_schema(operation_id="facebook_page_unlink", tags=TAGS, request=None,
                   responses={204: None, **error_responses(401, 403)})
    def delete(self, request):
        """Unlink: forget the tokens and revoke them at Facebook (best effort; works offline)."""
        facebook_service.unlink_facebook_page(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Posts --------------------------------------------------------------------------------------


class PagePostSerializer(serializers.ModelSerializer):
    created_by = StaffUserSerializer(allow_null=True)
    link = serializers.SerializerMethodField()

    class Meta:
        model = PagePost
        fields = ("id", "status", "message", "link", "scheduled_at", "page_id",
                  "facebook_post_id", "error_code", "error_message", "source", "created_by",
                  "created_at", "completed_at")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_link(self, post):
        return post.link or None


class PostHistoryPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


POST_EXAMPLE = {
    "id": 7, "status": "published", "message": "We just shipped v2!",
    "link": "https://example.com/blog/v2", "scheduled_at": None, "page_id": "200000000000001",
    "facebook_post_id": "200000000000001_300000000000001", "error_code": "",
    "error_message": "", "source": "api", "created_by": {"id": 1, "username": "octocat"},
    "created_at": "2026-11-28T10:00:00Z", "completed_at": "2026-11-28T10:00:01Z",
}


class PagePostsView(StaffView):
    throttle_scope = "page_post"

    class Input(StrictSerializer):
        message = serializers.CharField(allow_blank=True, trim_whitespace=False)
        link = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                     trim_whitespace=False)
        scheduled_at = serializers.DateTimeField(required=False, allow_null=True)

        def validate(self, data):
            errors = facebook_service.post_input_errors(
                message=data["message"], link=data.get("link"),
                scheduled_at=data.get("scheduled_at"))
            if errors:
                raise ValidationError({field: [problem] for field, problem in errors.items()})
            return data

    def get_throttles(self):
        return super().get_throttles() if self.request.method == "POST" else []

    @extend_schema(
        operation_id="facebook_page_posts", tags=TAGS,
        parameters=[OpenApiParameter("page", int, description="Page number (from 1)."),
                    OpenApiParameter("page_size", int, description="20 by default, at most 100.")],
        responses={200: inline_serializer("PagePostHistory", {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": PagePostSerializer(many=True)}),
            **error_responses(401, 403, 404)},
    )
    def get(self, request):
        """Every post attempt, newest first, paginated (`?page=N&page_size=M`)."""
        paginator = PostHistoryPagination()
        posts = paginator.paginate_queryset(
            PagePost.objects.select_related("created_by").order_by("-created_at", "-id"),
            request, view=self)
        return paginator.get_paginated_response(PagePostSerializer(posts, many=True).data)

    @extend_schema(
        operation_id="facebook_page_post_create", tags=TAGS, request=Input,
        parameters=[OpenApiParameter(
            "Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
            description="1 to 255 printable ASCII characters, unique per post (e.g. a UUID). A "
                        "retry with the same key and body answers 200 with the same post and "
                        "never publishes twice; the same key with another body is a 422.")],
        responses={
            201: OpenApiResponse(PagePostSerializer, description="Published or scheduled."),
            200: OpenApiResponse(PagePostSerializer, description=(
                "A retry of an earlier request with this key: that post, whatever its status "
                "(header `Idempotent-Replayed: true`).")),
            **error_responses(400, 401, 403, 409, 415, 429, 502, 504),
            422: _error(422, "idempotency_key_reused",
                        "This Idempotency-Key was already used for a different post."),
        },
        examples=[
            OpenApiExample("Post now", request_only=True, value={
                "message": "We just shipped v2!", "link": "https://example.com/blog/v2"}),
            OpenApiExample("Schedule", request_only=True, value={
                "message": "Tomorrow: office hours", "scheduled_at": "2026-11-29T15:00:00Z"}),
            OpenApiExample("Published", response_only=True, status_codes=["201"],
                           value=POST_EXAMPLE),
        ],
    )
    def post(self, request):
        """Post to the linked Page now or scheduled. 409 `not_linked` without a Page; a
        Facebook failure is recorded on the post and answered 502/504 (or 4xx from Facebook)."""
        key = request.headers.get("Idempotency-Key", "")
        if not IDEMPOTENCY_KEY_RE.match(key):
            raise ValidationError({"Idempotency-Key": [
                "Send an Idempotency-Key header of 1 to 255 printable ASCII characters."]})
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = facebook_service.submit_page_post(
            message=data.validated_data["message"], link=data.validated_data.get("link") or None,
            scheduled_at=data.validated_data.get("scheduled_at"), idempotency_key=key,
            created_by=request.user, source=PagePostSource.API)
        body = PagePostSerializer(outcome.post).data
        if outcome.replayed:
            return Response(body, status=status.HTTP_200_OK,
                            headers={"Idempotent-Replayed": "true"})
        return Response(body, status=status.HTTP_201_CREATED)


# --- Facebook's callbacks (no session, no CSRF: verified by the signed_request) -------------


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


class SignedRequestView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (FormParser, MultiPartParser)
    throttle_scope = "provider_callback"

    class Input(serializers.Serializer):
        # Only this field is read: a `user_id` form field beside it is ignored (S30).
        signed_request = serializers.CharField(max_length=SIGNED_REQUEST_MAX_CHARS)

    def signed_request(self, request) -> str:
        try:
            data = self.Input(data=request.data)
        except RequestDataTooBig as exc:  # Django raises it while parsing a form body
            raise PayloadTooLarge() from exc
        data.is_valid(raise_exception=True)
        return data.validated_data["signed_request"]


class FacebookDeauthorizeView(SignedRequestView):
    @extend_schema(
        operation_id="facebook_deauthorize", tags=TAGS, auth=[],
        request={"application/x-www-form-urlencoded": SignedRequestView.Input},
        responses={200: OpenApiResponse(description="Done (empty body)."),
                   **error_responses(400, 415, 429),
                   413: _error(413, "payload_too_large", "The request body is too large.")},
    )
    def post(self, request):
        """Called by Facebook when someone removes the app: forget that user's tokens."""
        facebook_service.deauthorize_facebook_user(signed_request=self.signed_request(request))
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
        responses={200: Output, **error_responses(400, 415, 429),
                   413: _error(413, "payload_too_large", "The request body is too large.")},
        examples=[OpenApiExample("Accepted", response_only=True, value={
            "url": "https://bridge.example.com/api/v1/facebook/data-deletion/3f2a9c0d1e4b5a6c7d8e",
            "confirmation_code": "3f2a9c0d1e4b5a6c7d8e"})],
    )
    def post(self, request):
        """Facebook's data-deletion callback: forget the user's tokens; answer a status URL."""
        record = facebook_service.request_data_deletion(
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
        record = facebook_service.data_deletion_status(confirmation_code=confirmation_code)
        if record is None:
            raise NotFound("No data-deletion request has this confirmation code.")
        return Response(DataDeletionStatusSerializer(record).data)
