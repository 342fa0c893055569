"""The one place where exceptions become the public JSON error shape.

Shape: `{"code": str, "message": str, "request_id"?: str, "fields"?: {name: [str]},
"retry_after"?: int, "missing"?: [str], "provider_message"?: str}`; `message` is always our own
words (S37).
"""

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from api import database_outage
from backend.observability import current_request_id
from integrations import metrics
from integrations.errors import IntegrationError

logger = logging.getLogger(__name__)

# DRF's codes, renamed where ours are clearer for clients.
_DRF_CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, message: str, **extra) -> dict:
    """The error shape; `request_id` lets a user's report be found in the logs."""
    extra.setdefault("request_id", current_request_id())
    return {"code": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _flatten(value)]
    return [str(detail)]


def _fields(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(name): _flatten(value) for name, value in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def _drf_response(exc: exceptions.APIException) -> Response:
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    code = code or (exc.get_codes() if isinstance(exc.get_codes(), str) else "error")
    headers = {}
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(code, "The request is not valid.", fields=_fields(exc.detail))
    else:
        message = str(exc.detail)
        if isinstance(exc, exceptions.PermissionDenied) and message.startswith("CSRF Failed"):
            code, message = "csrf_failed", "CSRF check failed: send the X-CSRFToken header."
        body = error_body(code, message)
    if getattr(exc, "wait", None) is not None:
        retry_after = max(1, math.ceil(exc.wait))
        headers["Retry-After"] = str(retry_after)
        body["retry_after"] = retry_after
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    return Response(body, status=exc.status_code, headers=headers)


def _integration_response(exc: IntegrationError) -> Response:
    """Each error names its own public extras and headers (`public_fields`)."""
    return Response(error_body(exc.code, exc.message, **exc.public_fields()), status=exc.status,
                    headers=exc.response_headers())


def integration_error_json(exc: IntegrationError) -> JsonResponse:
    """The same answer as `_integration_response`, for middleware (outside DRF's views)."""
    return JsonResponse(error_body(exc.code, exc.message, **exc.public_fields()),
                        status=exc.status, headers=exc.response_headers())


def _database_unavailable(exc: BaseException, response_class):
    """The 503 for a lost database (api.database_outage), with Retry-After: logged once per
    outage by OutageLog, so django.request must not log each one."""
    database_outage.outage.lost(exc)
    response = response_class(error_body(database_outage.CODE, database_outage.MESSAGE,
                                         retry_after=database_outage.RETRY_AFTER_S), status=503)
    response["Retry-After"] = str(database_outage.RETRY_AFTER_S)
    response._has_been_logged = True
    return response


def database_unavailable_json(exc: BaseException) -> JsonResponse:
    """The same 503 for code outside DRF's views (middleware, handler500)."""
    return _database_unavailable(exc, JsonResponse)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error of every API view leaves through here."""
    response = _response_for(exc, context)
    if response.status_code < 500 or isinstance(exc, IntegrationError):
        _audit_refusal(exc, context, response)
    return response


def _response_for(exc, context) -> Response:
    if database_outage.is_database_lost(exc):
        return _database_unavailable(exc, Response)
    if isinstance(exc, IntegrationError):
        return _integration_response(exc)
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
        return Response(error_body("request_too_large", "The request body is too large."),
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        return _drf_response(exc)
    logger.exception("unhandled error in %s", type(context.get("view")).__name__)
    return Response(
        error_body("server_error", "Something went wrong on our side."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


# Answers that are routine for a client (not signed in yet, wrong URL): not audit events.
_ROUTINE_CODES = frozenset({"not_authenticated", "not_found", "method_not_allowed"})


def _audit_refusal(exc, context, response: Response) -> None:
    """One structured record per refusal (S46): the event, the reason code and the path, never
    the request's values (S24). Views name their event with `audit_event` (sign-in, link…)."""
    code = response.data["code"]
    view, request = context.get("view"), context.get("request")
    provider = getattr(exc, "provider", None) or getattr(view, "audit_provider", None) or "-"
    event = getattr(view, "audit_event", None)
    if code in _ROUTINE_CODES and event is None:
        return
    event = event or "request_refused"
    if code == "throttled":
        metrics.THROTTLED.labels(scope=getattr(view, "throttle_scope", None) or "-").inc()
    if event == "signin":
        metrics.SIGNINS.labels(provider=provider, client=view.audit_client(request),
                               outcome=code).inc()
    logger.log(logging.WARNING if response.status_code >= 500 else logging.INFO,
               "%s %s refused: %s (%s)", getattr(request, "method", "-"),
               getattr(request, "path", "-"), code, provider,
               extra={"event": event, "reason": code, "provider": provider})


def json_error(request, code: str, message: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)
