"""What a provider flow's state is bound to, read the same way by every authorize/callback view."""

from django.contrib.auth import get_user

from api.authentication import ApiTokenAuthentication
from integrations.flows import SESSION_BINDING_KEY, session_binding


def flow_binding(request, *, create: bool) -> str | None:
    """The API token in use, else the browser session's binding (created at authorize only:
    a callback without one is refused as `state_mismatch`)."""
    if isinstance(request.successful_authenticator, ApiTokenAuthentication):
        return "api-token:" + request.auth.digest
    if create:
        return session_binding(request.session)
    return request.session.get(SESSION_BINDING_KEY)


def session_user(request):
    """The browser session's signed-in user, else None (the GitHub sign-in views run no DRF
    authentication: signing in needs none, but an extra-scope grant is bound to its user)."""
    user = get_user(request._request)  # from the session (DRF set request.user anonymous)
    return user if user.is_authenticated else None
