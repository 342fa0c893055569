"""Staff-only Facebook Page link: start, callback, list and choose Pages, state, unlink.

Each view parses its input, calls one service (integrations.services.authorization to start or
refuse, integrations.services.facebook to link, read and choose) and serializes the answer;
errors are raised and mapped once by api.errors. Page posts are in
api.views.page_posts, Facebook's own callbacks in api.views.facebook_callbacks.
"""


from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api import schema_examples as examples
from api.flow_binding import flow_binding
from api.permissions import CanManageFacebookPage
from api.schema import error_responses
from api.serializers import (
    AuthorizeOutput,
    BudgetSerializer,
    ProviderCallbackInput,
    StaffUserSerializer,
    StrictSerializer,
    TextRegexField,
    authorize_json,
)
from integrations.services import authorization, token_warnings
from integrations.services.facebook import link_state, linking

TAGS = ["facebook"]


class StaffView(APIView):
    """Staff with the Page permission only (S32); throttled by `throttle_scope` (the default
    scoped throttle of settings)."""

    permission_classes = (CanManageFacebookPage,)


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
    budget = BudgetSerializer(allow_null=True, help_text=(
        "What is left of the app's Graph call budget (X-App-Usage, X-Business-Use-Case-Usage; "
        "null until an answer is seen); from 90 % used, calls wait (429)."))

    @extend_schema_field(inline_serializer("LinkedPage", {
        "id": serializers.CharField(), "name": serializers.CharField()}, allow_null=True))
    def get_page(self, state):
        return {"id": state.page_id, "name": state.page_name} if state.page_id else None


def _link_state_response(status_code=status.HTTP_200_OK) -> Response:
    return Response(LinkStateSerializer(link_state.facebook_link_state()).data,
                    status=status_code)


# --- Linking ------------------------------------------------------------------------------------


class FacebookAuthorizeView(StaffView):
    throttle_scope = "oauth_start"

    class Input(StrictSerializer):
        pass

    @extend_schema(
        operation_id="facebook_authorize", tags=TAGS, request=Input,
        responses={201: AuthorizeOutput, **error_responses(400, 401, 403, 415, 429, 503)},
        examples=examples.FACEBOOK_AUTHORIZE,
    )
    def post(self, request):
        """Start linking the Page: a single-use state bound to you and Facebook's dialog URL."""
        self.Input(data=request.data or {}).is_valid(raise_exception=True)
        started = authorization.start_authorization(
            authorization.FACEBOOK, binding=flow_binding(request, create=True), user=request.user)
        return Response(authorize_json(started), status=status.HTTP_201_CREATED)


class FacebookCallbackView(StaffView):
    throttle_scope = "oauth_callback"
    audit_event, audit_provider = "facebook_link", "facebook"  # refusals: see api.errors
    provider_bound_methods = ("POST",)  # see api.middleware.ProviderConcurrencyLimit

    class Input(ProviderCallbackInput):
        code_regex = r"^[\x21-\x7e]{1,2048}$"  # Facebook's codes are longer than GitHub's
        error_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
        error_code = serializers.CharField(required=False, allow_blank=True, max_length=20)

    @extend_schema(
        operation_id="facebook_callback", tags=TAGS, request=Input,
        responses={200: LinkStateSerializer,
                   **error_responses(400, 401, 403, 415, 429, 502, 503, 504)},
        examples=examples.FACEBOOK_CALLBACK,
    )
    def post(self, request):
        """Finish linking: exchange the code, check the token, list the Pages (one: selected).

        Errors: `state_*` (400), `access_denied` (400, the person cancelled: the provider's
        description as plain text), `authorization_failed` (400, e.g. expired code),
        `permission_missing` (403, with `missing`), `no_postable_page` (400).
        """
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        args = dict(state=values["state"], binding=flow_binding(request, create=False),
                    user=request.user)
        if "error" in values:
            raise authorization.refuse_authorization(
                authorization.FACEBOOK, error=values["error"], **args)
        linking.link_facebook_page(code=values["code"], **args)
        return _link_state_response()


class FacebookPagesView(StaffView):
    provider_bound_methods = ("GET",)

    class Output(PageSummarySerializer):
        selected = serializers.BooleanField()

    @extend_schema(
        operation_id="facebook_pages", tags=TAGS,
        responses={200: inline_serializer("FacebookPages", {"results": Output(many=True)}),
                   **error_responses(401, 403, 409, 502, 504)},
    )
    def get(self, request):
        """Pages the linked Facebook user can create content on (live from Facebook)."""
        pages = link_state.list_postable_pages()
        return Response({"results": self.Output(pages, many=True).data})


class FacebookPageView(StaffView):
    provider_bound_lazily = ("GET",)  # token checks cached a minute: a slot only to ask
    provider_bound_methods = ("PUT", "DELETE")  # Page token; DELETE forgets, then revokes

    class Input(StrictSerializer):
        page_id = TextRegexField(r"^[A-Za-z0-9_.-]{1,64}$")

    @extend_schema(
        operation_id="facebook_page", tags=TAGS,
        responses={200: LinkStateSerializer, **error_responses(401, 403)},
        examples=examples.FACEBOOK_PAGE,
    )
    def get(self, request):
        """The link, with live validity of the user and Page tokens (checked at most every
        minute). `relink_needed` is true when Facebook rejects a token; `valid` is null when
        Facebook could not be asked."""
        return _link_state_response()

    @extend_schema(
        operation_id="facebook_page_select", tags=TAGS, request=Input,
        responses={200: LinkStateSerializer, **error_responses(400, 401, 403, 409, 415, 502, 504)},
        examples=examples.FACEBOOK_PAGE_SELECT,
    )
    def put(self, request):
        """Choose the Page to post to (one the linked user can create content on; else 400
        `page_not_manageable`) and store its Page token."""
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        linking.select_facebook_page(page_id=data.validated_data["page_id"], user=request.user)
        return _link_state_response()

    @extend_schema(operation_id="facebook_page_unlink", tags=TAGS, request=None,
                   responses={204: None, **error_responses(401, 403)})
    def delete(self, request):
        """Unlink: forget the tokens and revoke them at Facebook (best effort; works offline)."""
        linking.unlink_facebook_page(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
