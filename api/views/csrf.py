"""The CSRF token for browser clients that cannot read the API's cookie (another origin)."""

from django.middleware.csrf import get_token
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import error_responses


class CsrfTokenView(APIView):
    """Any browser client gets its token here, not only one that loaded the SPA shell."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    class Output(serializers.Serializer):
        csrf_token = serializers.CharField(
            help_text="Send it as the `X-CSRFToken` header on unsafe methods. It changes at "
                      "sign-in: fetch it again after signing in.")

    @extend_schema(
        operation_id="auth_csrf", tags=["auth"], auth=[],
        responses={200: Output, **error_responses(405, 500)},
        examples=[OpenApiExample("Token", response_only=True,
                                 value={"csrf_token": "b3TqS0eXq2P5…"})],
    )
    def get(self, request):
        """A CSRF token for `X-CSRFToken`; the answer also sets the CSRF cookie it pairs with."""
        # No-store like every API answer (api.middleware): a cached token would be someone else's.
        return Response(self.Output({"csrf_token": get_token(request)}).data)
