"""Starting and refusing a provider authorization: one shape for GitHub sign-in and the
Facebook Page link.

`start_authorization` records a state bound to the caller and answers the provider's URL;
`refuse_authorization` consumes the state of an error answer and returns the `AccessDenied` the
view raises. Finishing a flow is provider-specific (`sign_in_with_github`, `link_facebook_page`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from integrations.config import get_facebook_client, get_github_client
from integrations.errors import AccessDenied
from integrations.flows import StartedAuthorization, StartedFlow, consume_flow, start_flow
from integrations.models import FlowClient, FlowPurpose
from integrations.redirects import FACEBOOK_CALLBACK_PATH, GITHUB_CALLBACK_PATH, spa_callback_uri

# Scopes staff may add to their GitHub sign-in (incremental authorization, S52): release
# automations register repository webhooks with them.
INCREMENTAL_GITHUB_SCOPES = ("admin:repo_hook",)
# Error answers passed on as our `code`; any other `error` is `access_denied`.
PASSED_ON_ERRORS = frozenset({"access_denied", "application_suspended", "redirect_uri_mismatch"})


@dataclass(frozen=True)
class ProviderFlow:
    """What differs between providers when a flow starts or is refused."""

    provider: str
    purpose: FlowPurpose
    callback_path: str
    cancelled_message: str
    # (flow, redirect_uri, extra scopes) -> browser URL
    authorize_url: Callable[[StartedFlow, str, tuple[str, ...]], str]

    def browser_redirect_uri(self) -> str:
        return spa_callback_uri(self.callback_path)


def _github_authorize_url(flow: StartedFlow, redirect_uri: str, extra: tuple[str, ...]) -> str:
    scopes = list(dict.fromkeys([*settings.GITHUB_SCOPES, *extra]))
    return get_github_client().authorize_url(
        state=flow.state, code_challenge=flow.code_challenge, redirect_uri=redirect_uri,
        scopes=scopes)


def _facebook_dialog_url(flow: StartedFlow, redirect_uri: str, extra: tuple[str, ...]) -> str:
    # Facebook's classic code flow has no PKCE: the verifier start_flow keeps is never used.
    # rerequest: without it Facebook never asks again for a permission declined earlier.
    return get_facebook_client().dialog_url(
        state=flow.state, redirect_uri=redirect_uri, scopes=list(settings.FACEBOOK_SCOPES),
        rerequest=True)


GITHUB = ProviderFlow(
    provider="github", purpose=FlowPurpose.GITHUB_LOGIN, callback_path=GITHUB_CALLBACK_PATH,
    cancelled_message="You cancelled the sign-in at GitHub.",
    authorize_url=_github_authorize_url,
)
FACEBOOK = ProviderFlow(
    provider="facebook", purpose=FlowPurpose.FACEBOOK_PAGE_LINK,
    callback_path=FACEBOOK_CALLBACK_PATH,
    cancelled_message="The Facebook dialog was cancelled.",
    authorize_url=_facebook_dialog_url,
)


def start_authorization(flow: ProviderFlow, *, binding: str, user=None,
                        client: FlowClient = FlowClient.BROWSER, redirect_uri: str | None = None,
                        code_challenge: str | None = None,
                        extra_scopes: tuple[str, ...] = ()) -> StartedAuthorization:
    """Issue a state bound to `binding` (and `user`, when given) and the provider's URL.

    Browsers get our callback and a server-side PKCE verifier; an app brings its own
    `redirect_uri` (already checked against APP_REDIRECT_URIS) and `code_challenge`.
    `extra_scopes` (GitHub, staff only: the caller checks) are asked for on top of the usual.
    """
    if client == FlowClient.BROWSER:
        redirect_uri, code_challenge = flow.browser_redirect_uri(), None
    started = start_flow(purpose=flow.purpose, redirect_uri=redirect_uri, binding=binding,
                         user=user, client=client, code_challenge=code_challenge)
    return StartedAuthorization(authorize_url=flow.authorize_url(started, redirect_uri,
                                                                 extra_scopes),
                                state=started.state, expires_at=started.expires_at)


def refuse_authorization(flow: ProviderFlow, *, state: str, binding: str | None, error: str,
                         user=None, client: FlowClient = FlowClient.BROWSER,
                         code_verifier: str | None = None) -> AccessDenied:
    """The provider sent the person back with an error: consume the state (so no code can
    follow), and return the error to raise, in our words only (the redirect's
    `error_description` is not repeated: S37)."""
    consume_flow(purpose=flow.purpose, state=state, binding=binding, user=user,
                 code_verifier=code_verifier, client=client)
    code = error if error in PASSED_ON_ERRORS else "access_denied"
    return AccessDenied(flow.cancelled_message, provider=flow.provider, code=code)
