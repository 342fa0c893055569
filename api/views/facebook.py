"""Staff-only Facebook Page link: start, callback, list and choose Pages, state, unlink.

Each view parses its input, calls one service from integrations.services.facebook and
serializes the answer; errors are raised and mapped once by api.errors. Page posts are in
api.views.page_posts, Facebook's own callbacks in api.views.facebook_callbacks.
"""


from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import ApiTokenAuthentication
from api.permissions import IsStaffUser
from api.schema import error_responses
from api.serializers import (
    AuthorizeOutput,
    ProviderCallbackInput,
    StaffUserSerializer,
    StrictSerializer,
    TextRegexField,
)
from integrations.flows import SESSION_BINDING_KEY, session_binding
from integrations.services import facebook as facebook_service
from integrations.services import token_warnings

TAGS = ["facebook"]
# Facebook's codes are longer than GitHub's; still printable ASCII without spaces (S33).


def _binding(request, *, create: bool) -> str | None:
    """What the flow state is bound to: the browser session, or the API token in use."""
    if isinstance(request.successful_authenticator, ApiTokenAuthentication):
        return "api-token:" + request.auth.digest
    if create:
        return session_binding(request.session)
    return request.session.get(SESSION_BINDING_KEY)


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


class TokenWarningSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=["token_expiring", "data_access_expiring", "token_invalid"])
    expires_at = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField()


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
    warnings = serializers.SerializerMethodField()

    @extend_schema_field(TokenWarningSerializer(many=True, help_text=(
        "Tokens that expire within TOKEN_EXPIRY_WARNING_DAYS or are invalid: reconnect with "
        "Facebook.")))
    def get_warnings(self, state):
        return TokenWarningSerializer(
            [w.as_dict() for w in token_warnings.link_warnings(state)], many=True).data

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
    "warnings": [{"code": "token_expiring", "expires_at": "2026-12-01T10:00:00Z",
                  "message": "The Facebook login of the Page link expires on Dec. 1, 2026, "
                             "10 a.m.: reconnect with Facebook before then, or posts to the "
                             "Page stop."}],
}
NOT_LINKED_EXAMPLE = {
    "linked": False, "page_selected": False, "relink_needed": False, "facebook_user_id": None,
    "page": None, "pages": [], "token": None, "page_token": None, "linked_by": None,
    "linked_at": None, "warnings": [],
}


def _link_state_response(status_code=status.HTTP_200_OK) -> Response:
    return Response(LinkStateSerializer(facebook_service.facebook_link_state()).data,
                    status=status_code)


# --- Linking ------------------------------------------------------------------------------------


class FacebookAuthorizeView(StaffView):
    throttle_scope = "oauth_start"

    class Input(StrictSerializer):
        pass

    @extend_schema(
        operation_id="facebook_authorize", tags=TAGS, request=Input,
        responses={201: AuthorizeOutput, **error_responses(400, 401, 403, 415, 429, 503)},
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
        return Response(AuthorizeOutput(started).data, status=status.HTTP_201_CREATED)


class FacebookCallbackView(StaffView):
    throttle_scope = "oauth_callback"

    class Input(ProviderCallbackInput):
        code_regex = r"^[\x21-\x7e]{1,2048}$"  # Facebook's codes are longer than GitHub's
        error_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
        error_code = serializers.CharField(required=False, allow_blank=True, max_length=20)

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
            facebook_service.refuse_facebook_link(
                error=data.validated_data["error"],
                description=data.validated_data.get("error_description", ""), **args)
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
        page_id = TextRegexField(r"^[A-Za-z0-9_.-]{1,64}$")

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
