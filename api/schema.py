"""OpenAPI pieces: security schemes, the error component, and reusable error responses."""

from django.conf import settings
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
)
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from api.middleware import provider_binding
from api.serializers import ProviderCallbackInput
from integrations.errors import (
    PROVIDER_MESSAGE_CHARACTERS,
    PROVIDER_MESSAGE_MAX_CHARS,
    ProviderBusy,
)

ERROR_MESSAGES = {
    400: ("validation_error", "The request is not valid."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", 'Method "GET" not allowed.'),
    409: ("not_linked", "No account is linked."),
    413: ("request_too_large", "The request body is too large."),
    414: ("uri_too_long", "The URL is too long (at most 4096 characters)."),
    415: ("unsupported_media_type", 'Unsupported media type "text/plain" in request.'),
    429: ("throttled", "Request was throttled. Expected available in 30 seconds."),
    500: ("server_error", "Something went wrong on our side."),
    502: ("provider_unavailable", "The provider is unavailable right now; try again in a moment."),
    503: ("database_unavailable", "The database is unavailable."),
    504: ("provider_unavailable", "The provider did not answer in time; try again in a moment."),
}


class AutoSchema(SpectacularAutoSchema):
    """Names a view's nested serializers after the view (`GitHubCallbackView.Input` becomes
    `GitHubCallbackInput`), so every view can call its own serializers `Input` and `Output`."""

    def get_serializer_name(self, serializer, direction):
        outer, _, inner = type(serializer).__qualname__.rpartition(".")
        if not outer:
            return super().get_serializer_name(serializer, direction)
        return outer.split(".")[-1].removesuffix("View") + inner

    def _get_response_bodies(self, direction="response"):
        """Provider-bound methods, up front or lazily (api.middleware.provider_binding), may
        answer 503 provider_busy.

        Added here, not in `get_response_serializers`: `@extend_schema` replaces that one.
        """
        bodies = super()._get_response_bodies(direction)
        if provider_binding(type(self.view), self.method) is not None:
            bodies["503"] = self._get_response_for_code(PROVIDER_BUSY, "503",
                                                        direction=direction)
        return bodies


class ErrorSerializer(serializers.Serializer):
    """The one error shape every endpoint answers with."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `state_invalid`.")
    message = serializers.CharField(help_text="Human-readable explanation (plain text).")
    request_id = serializers.CharField(
        required=False, help_text="This request's id (also the `X-Request-ID` header): quote it "
        "when reporting a problem.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by field name (400 `validation_error` only).",
    )
    retry_after = serializers.IntegerField(
        required=False, help_text="Seconds to wait before retrying (429, 503 provider_busy)."
    )
    missing = serializers.ListField(
        child=serializers.CharField(), required=False,
        help_text="Permissions that were not granted (`permission_missing` only).",
    )
    provider_message = serializers.CharField(
        required=False, max_length=300,
        help_text="What Facebook's Graph API said for people (`error_user_title: "
                  "error_user_msg`), apart from our `message`: markup removed, only "
                  f"{PROVIDER_MESSAGE_CHARACTERS}, at most {PROVIDER_MESSAGE_MAX_CHARS} "
                  "characters. Render it as text. Never sent for an error that came back "
                  "through a redirect (its `error_description` is anyone's words).",
    )


PROVIDER_BUSY = OpenApiResponse(
    response=ErrorSerializer,
    description="Error (provider_busy), with a Retry-After header: too many requests are "
                "waiting on the provider; retry after that delay.",
    examples=[OpenApiExample("503 provider_busy", response_only=True, value={
        "code": "provider_busy", "message": ProviderBusy.default_message, "retry_after": 2})])


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Reusable documented error responses, each with an example of the shape."""
    responses = {}
    for code in statuses:
        error_code, message = ERROR_MESSAGES[code]
        example = {"code": error_code, "message": message}
        if code == 400:
            example["fields"] = {"code": ["This field is required."]}
        if code == 429:
            example["retry_after"] = 30
        responses[code] = OpenApiResponse(
            response=ErrorSerializer,
            description=f"Error ({error_code})"
            + (", with a Retry-After header" if code == 429 else ""),
            examples=[OpenApiExample(f"{code} {error_code}", value=example, response_only=True)],
        )
    return responses



def error_response(status_code: int, code: str, message: str) -> OpenApiResponse:
    """One documented error response for a code `error_responses` does not cover."""
    return OpenApiResponse(response=ErrorSerializer, description=f"Error ({code})", examples=[
        OpenApiExample(f"{status_code} {code}", value={"code": code, "message": message},
                       response_only=True)])

COMMON_ERRORS = (401, 403, 405, 415, 429, 500)


class StrictInputSchema(OpenApiSerializerExtension):
    """Request bodies as the API checks them: `StrictSerializer` refuses unknown keys
    (`additionalProperties: false`), and a provider callback carries `code` or `error`, exactly
    one (`ProviderCallbackInput.validate`, as `oneOf`). Clients, and the schema fuzzer, then
    send bodies the API accepts."""

    target_class = "api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        mapped = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            mapped["additionalProperties"] = False
            target = self.target if isinstance(self.target, type) else type(self.target)
            if issubclass(target, ProviderCallbackInput):
                mapped["oneOf"] = [{"required": ["code"]}, {"required": ["error"]}]
        return mapped


class CsrfSessionScheme(OpenApiAuthenticationExtension):
    """The session cookie, which needs the CSRF header on unsafe methods: both are declared."""

    target_class = "api.authentication.CsrfSessionAuthentication"
    name = ["cookieAuth", "csrfHeader"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME,
             "description": "Session cookie set by the GitHub sign-in callback (browsers)."},
            {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
             "description": f"Value of the `{settings.CSRF_COOKIE_NAME}` cookie; required on "
                            "POST, PUT, PATCH and DELETE with the session cookie."},
        ]

    def get_security_requirement(self, auto_schema):
        return {"cookieAuth": [], "csrfHeader": []}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <token>` from the app sign-in callback (mobile apps)."}


# Which answer leads to which next call (OpenAPI links, shown in the docs): the sign-in and link
# callbacks take the `state` their authorize call answered; a created automation is read,
# changed and deleted by its `id`; a created post appears in the post history. The schema
# fuzzer's stateful run (tests/api/test_fuzz_schema.py) follows them.
LINKS = {
    ("github_authorize", "201"): {
        "GitHubCallback": {"operationId": "github_callback",
                           "requestBody": {"state": "$response.body#/state"},
                           "description": "Finish the sign-in with this state."}},
    ("facebook_authorize", "201"): {
        "FacebookCallback": {"operationId": "facebook_callback",
                             "requestBody": {"state": "$response.body#/state"},
                             "description": "Finish the link with this state."}},
    ("automations_create", "201"): {
        f"Automation{verb.title()}": {"operationId": operation_id,
                                      "parameters": {"id": "$response.body#/id"},
                                      "description": f"{verb.title()} the new automation."}
        for verb, operation_id in (("read", "automation_detail"),
                                   ("update", "automation_update"),
                                   ("delete", "automation_delete"))},
    ("facebook_page_post_create", "201"): {
        "PostHistory": {"operationId": "facebook_page_posts",
                        "description": "The post history, with the new post first."}},
}


def add_links(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry: the LINKS above, on their responses."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for status_code, response in operation.get("responses", {}).items():
                links = LINKS.get((operation.get("operationId"), status_code))
                if links:
                    response["links"] = links
    return result
