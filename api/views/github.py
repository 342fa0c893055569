"""GitHub sign-in: authorize (state + PKCE) and callback, for browsers and apps."""

from django.conf import settings
from django.contrib.auth import login
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import CSRFCheck
from rest_framework.exceptions import (
    ParseError,
    PermissionDenied,
    UnsupportedMediaType,
    ValidationError,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api import schema_examples as examples
from api.authentication import issue_api_token
from api.flow_binding import flow_binding, session_user
from api.schema import error_responses
from api.serializers import (
    CHALLENGE_REGEX,
    PKCE_REGEX,
    AuthorizeOutput,
    ProviderCallbackInput,
    StrictSerializer,
    TextRegexField,
    UserSerializer,
    authorize_json,
    sign_in_json,
)
from integrations.flows import SESSION_BINDING_KEY
from integrations.models import FlowClient, can_manage_facebook_page
from integrations.services import authorization
from integrations.services import github as github_service


def enforce_csrf(request) -> None:
    """CSRF for anonymous browser POSTs too (DRF checks it only for signed-in sessions: S16)."""
    check = CSRFCheck(lambda req: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise PermissionDenied(f"CSRF Failed: {reason}")


class GitHubAuthorizeView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_scope = "oauth_start"

    class Input(StrictSerializer):
        client = serializers.ChoiceField(choices=FlowClient.choices, default=FlowClient.BROWSER)
        redirect_uri = serializers.CharField(required=False, max_length=2000)
        code_challenge = TextRegexField(CHALLENGE_REGEX, required=False)
        scopes = serializers.ListField(
            child=serializers.ChoiceField(authorization.INCREMENTAL_GITHUB_SCOPES),
            required=False, max_length=len(authorization.INCREMENTAL_GITHUB_SCOPES),
            help_text="Extra scopes (incremental authorization): signed-in staff in a browser "
                      "only; the callback must come back as the same GitHub account.")

        def validate(self, data):
            if data.get("scopes") and data["client"] != FlowClient.BROWSER:
                raise ValidationError({"scopes": ["Only staff in the browser ask for more."]})
            if data["client"] == FlowClient.BROWSER:
                for field in ("redirect_uri", "code_challenge"):
                    if field in data:
                        raise ValidationError({field: ["Only app clients send this."]})
                return data
            if data.get("redirect_uri") not in settings.APP_REDIRECT_URIS:
                raise ValidationError({"redirect_uri": ["Not a registered app redirect URI."]})
            if "code_challenge" not in data:
                raise ValidationError({"code_challenge": ["Apps must send an S256 challenge."]})
            return data

    @extend_schema(
        operation_id="github_authorize", tags=["auth"], auth=[], request=Input,
        responses={201: AuthorizeOutput, **error_responses(400, 403, 415, 429, 503)},
        examples=examples.GITHUB_AUTHORIZE,
    )
    def post(self, request):
        """Start a sign-in: a single-use state (10 minutes) and GitHub's authorize URL."""
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        client = data.validated_data["client"]
        extra_scopes = tuple(dict.fromkeys(data.validated_data.get("scopes", ())))
        user = None
        if client == FlowClient.BROWSER:
            enforce_csrf(request)
            binding = flow_binding(request, create=True)
        else:
            binding = data.validated_data["code_challenge"]
        if extra_scopes:  # S52: staff only, and the flow is bound to that staff member
            user = session_user(request)
            if not can_manage_facebook_page(user):  # who may create automations
                raise PermissionDenied("Only staff can ask GitHub for more permissions.")
        started = authorization.start_authorization(
            authorization.GITHUB, client=client, binding=binding, user=user,
            redirect_uri=data.validated_data.get("redirect_uri"),
            code_challenge=data.validated_data.get("code_challenge"),
            extra_scopes=extra_scopes,
        )
        return Response(authorize_json(started), status=status.HTTP_201_CREATED)


class GitHubCallbackView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_scope = "oauth_callback"
    # Every refusal here is a failed sign-in: api.errors audits and counts it under this event.
    audit_event, audit_provider = "signin", "github"
    provider_bound_methods = ("POST",)  # see api.middleware.ProviderConcurrencyLimit

    class Input(ProviderCallbackInput):
        code_verifier = TextRegexField(PKCE_REGEX, required=False)
        error_uri = serializers.CharField(required=False, max_length=500, allow_blank=True)

    class Output(serializers.Serializer):
        user = UserSerializer()
        token = serializers.CharField(required=False, help_text="App clients only.")
        token_expires_at = serializers.DateTimeField(required=False, allow_null=True)

    @staticmethod
    def client_of(values) -> FlowClient:
        """Apps send their PKCE verifier; a browser's stays on the server."""
        return FlowClient.APP if "code_verifier" in values else FlowClient.BROWSER

    def audit_client(self, request) -> str:
        try:
            return self.client_of(request.data)
        except (ParseError, UnsupportedMediaType):  # the refusal being audited: no body to read
            return FlowClient.BROWSER

    @extend_schema(
        operation_id="github_callback", tags=["auth"], auth=[], request=Input,
        responses={200: Output, **error_responses(400, 403, 415, 429, 502, 504)},
        examples=examples.GITHUB_CALLBACK,
    )
    def post(self, request):
        """Finish a sign-in: browsers get a session cookie, apps an API token."""
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        client = self.client_of(values)
        if client == FlowClient.BROWSER:
            enforce_csrf(request)
        flow_args = {"state": values["state"], "client": client,
                     "binding": flow_binding(request, create=False),
                     "code_verifier": values.get("code_verifier"),
                     "user": session_user(request) if client == FlowClient.BROWSER else None}
        if "error" in values:
            raise authorization.refuse_authorization(
                authorization.GITHUB, **flow_args, error=values["error"])
        answer = {}

        def sign_in(user) -> None:
            """In the transaction that saves the user: one commit for the user and the session
            (with last_login) or the API token. The session is written here, once: the
            middleware finds it saved (backend.sessions)."""
            if client == FlowClient.BROWSER:
                request.session.pop(SESSION_BINDING_KEY, None)
                login(request, user, backend="api.authentication.SessionUserBackend")
                request.session.save()
                answer.update(sign_in_json(user))
            else:
                answer.update(sign_in_json(user, *issue_api_token(user)))

        github_service.sign_in_with_github(**flow_args, code=values["code"], then=sign_in)
        return Response(answer)
