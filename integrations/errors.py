"""Typed errors for everything that can go wrong with a provider or an OAuth flow.

Clients and services raise these; `api.errors` maps them to HTTP once. Messages are written
for people and never contain tokens, codes or secrets.

Longer than our ~300-line rule on purpose: one family of small classes (status, code, message,
extras as class attributes, DRF's shape), read together when a new error is added.
"""

from __future__ import annotations

import re
from typing import Any

_MARKUP = re.compile(r"<[^<>]*>")
# What a provider's words may keep (S37): letters and digits of any script, spaces and plain
# punctuation. No markup (< > =), no quotes-in-attributes, no escapes, no control characters.
_UNSAFE_CHARS = re.compile(r"[^\w .,:;!?'()/%&+#@-]")
PROVIDER_MESSAGE_MAX_CHARS = 300
_SCOPE_NAME = re.compile(r"[a-z0-9_:-]{1,40}")
PROVIDER_MESSAGE_CHARACTERS = ("letters and digits of any script, spaces and _ . , : ; ! ? ' "
                               "( ) / % & + # @ -")


def provider_text(value: Any, limit: int = PROVIDER_MESSAGE_MAX_CHARS) -> str | None:
    """A provider's own words, fit to show beside ours (S37): markup tags dropped, then only
    PROVIDER_MESSAGE_CHARACTERS kept, whitespace collapsed, at most `limit` characters; None
    when nothing is left."""
    if not isinstance(value, str):
        return None
    text = " ".join(_UNSAFE_CHARS.sub(" ", _MARKUP.sub(" ", value)).split())
    if len(text) > limit:
        text = text[:limit - 3].rstrip() + "..."
    return text or None


class IntegrationError(Exception):
    """Base class: `code` is the stable machine code, `status` the HTTP status it maps to.

    `message` is always our own words; what the provider said goes, cleaned and capped, in
    `provider_message` (S37). `transient` says whether retrying the same call may succeed."""

    status = 400
    code = "integration_error"
    default_message = "The request could not be completed."
    # Trying the same call again later may succeed (background retries read this).
    transient = False
    # Seconds to wait before trying again, when the error knows (RetryLater sends it).
    retry_after_s: int | None = None
    # The provider may have acted on the request although we got no answer (a timeout).
    outcome_unknown = False
    provider_message: str | None = None

    def __init__(self, message: str | None = None, *, provider: str | None = None) -> None:
        self.message = message or self.default_message
        self.provider = provider
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, provider={self.provider!r})"

    def with_provider_message(self, text: Any) -> IntegrationError:
        """Keep the provider's text (cleaned, capped) beside our message; answers self."""
        self.provider_message = provider_text(text)
        return self

    def public_fields(self) -> dict[str, Any]:
        """Extra members of the public error body (beside `code` and `message`)."""
        return {"provider_message": self.provider_message} if self.provider_message else {}

    def response_headers(self) -> dict[str, str]:
        """HTTP headers the error response carries."""
        return {}


# --- Provider faults ------------------------------------------------------------------------


class ProviderError(IntegrationError):
    """Something went wrong talking to GitHub or Facebook.

    A Graph error also keeps Facebook's `code`/`error_subcode`, and its text for server logs
    only (never shown: it may name internals)."""

    status = 502
    code = "provider_error"
    default_message = "The provider answered with an error."
    graph_code: int | None = None
    graph_subcode: int | None = None
    _graph_message: str | None = None


class ProviderUnavailable(ProviderError):
    """Connection error, 5xx, or an HTML/non-JSON body where JSON was expected."""

    code = "provider_unavailable"
    default_message = "The provider is unavailable right now; try again in a moment."
    transient = True


class ProviderTimeout(ProviderUnavailable):
    """The provider did not answer within the client timeout."""

    status = 504
    default_message = "The provider did not answer in time; try again in a moment."
    # Not blindly retryable: the call may have been served (a Page post may be published).
    transient = False
    outcome_unknown = True


class RetryLater:
    """Mixin for errors that say when to try again: `retry_after` in the body, Retry-After."""

    retry_after_s: int

    def public_fields(self) -> dict[str, Any]:
        return {**super().public_fields(), "retry_after": self.retry_after_s}

    def response_headers(self) -> dict[str, str]:
        return {**super().response_headers(), "Retry-After": str(self.retry_after_s)}


class ProviderRateLimited(RetryLater, ProviderError):
    """The provider throttled us; `retry_after_s` says when to try again."""

    status = 429
    code = "provider_rate_limited"
    default_message = "The provider is rate limiting requests; try again later."
    transient = True

    def __init__(self, message: str | None = None, *, provider: str | None = None,
                 retry_after_s: int = 60) -> None:
        super().__init__(message, provider=provider)
        self.retry_after_s = max(1, int(retry_after_s))


class ProviderMisconfigured(ProviderError):
    """The provider refused *our* app credentials (id, secret, app token): a server
    configuration fault, never a verdict on the user's token or link."""

    code = "provider_misconfigured"
    default_message = ("The provider refused this server's application credentials; an "
                       "administrator must fix the configuration.")


class BadProviderResponse(ProviderError):
    """The provider answered 2xx, but not in the shape we rely on."""

    code = "bad_provider_response"
    default_message = "The provider sent an unexpected response."


class TokenInvalid(ProviderError):
    """The stored token was rejected (revoked, expired, password changed): relink needed.

    409, not 401: the caller is signed in to us; it is the provider link that needs redoing.
    """

    status = 409
    code = "token_invalid"
    default_message = "Access to the provider is no longer valid; sign in or link again."

    def __init__(self, message: str | None = None, *, provider: str | None = None,
                 subcode: int | None = None) -> None:
        super().__init__(message, provider=provider)
        self.subcode = subcode


class PermissionMissing(ProviderError):
    """The token lacks a scope or permission the call needs."""

    status = 403
    code = "permission_missing"
    default_message = "A required permission was not granted."

    def __init__(self, message: str | None = None, *, provider: str | None = None,
                 missing: tuple[str, ...] = ()) -> None:
        super().__init__(message, provider=provider)
        self.missing = tuple(missing)

    def public_fields(self) -> dict[str, Any]:
        fields = super().public_fields()
        return {**fields, "missing": list(self.missing)} if self.missing else fields


class ContentRejected(ProviderError):
    """The provider refused this content (a duplicate post, a link it cannot fetch, a policy
    block): the request must change, retrying it as is will not help."""

    status = 422
    code = "content_rejected"
    default_message = "Facebook refused this post."


class AuthorizationFailed(ProviderError):
    """A code exchange or refresh was refused; `provider_code` keeps the provider's error code."""

    status = 400
    code = "authorization_failed"
    default_message = "The provider refused the authorization code."

    def __init__(self, message: str | None = None, *, provider: str | None = None,
                 provider_code: str = "") -> None:
        super().__init__(message, provider=provider)
        self.provider_code = provider_code


class InvalidSignedRequest(IntegrationError):
    """A Facebook signed_request that is malformed, forged, or uses another algorithm."""

    status = 400
    code = "signed_request_invalid"
    default_message = "The signed request is malformed or its signature does not match."


# --- Flow errors (raised by services, never by clients) -------------------------------------


class StateInvalid(IntegrationError):
    code = "state_invalid"
    default_message = "This sign-in link is not valid. Start again."


class StateExpired(IntegrationError):
    code = "state_expired"
    default_message = "This sign-in link has expired. Start again."


class StateUsed(IntegrationError):
    code = "state_used"
    default_message = "This sign-in link has already been used. Start again."


class ScopesNotRequested(IntegrationError):
    """GitHub granted scopes that can write (repositories, hooks, organisations…) which this
    site never asked this person for, e.g. after someone edited the authorize URL."""

    status = 403
    code = "scopes_not_requested"

    def __init__(self, scopes: list[str]) -> None:
        self.scopes = sorted(scopes)
        # Named only in GitHub's own scope alphabet: nothing else is repeated (S37).
        named = [s for s in self.scopes if _SCOPE_NAME.fullmatch(s)]
        others = len(self.scopes) - len(named)
        shown = ", ".join(named + ([f"{others} other"] if others else []))
        super().__init__(
            "GitHub granted permissions this site did not ask for "
            f"({shown}), so nothing was kept and that authorization is being "
            "revoked at GitHub. Sign in again in a moment: GitHub will ask only for what this "
            "site needs.", provider="github")


class AccountMismatch(IntegrationError):
    """An extra-scope authorization came back signed in as another GitHub account."""

    status = 409
    code = "account_mismatch"
    default_message = ("GitHub answered for another account than the one signed in here: sign "
                       "in at GitHub as yourself to grant the permission.")


class StateMismatch(IntegrationError):
    """The state exists but belongs to another browser session, user or app instance."""

    code = "state_mismatch"
    default_message = "This sign-in link was started elsewhere. Start again."


class AccessDenied(IntegrationError):
    """The person cancelled at the provider (or the provider sent back another error).

    `message` is ours, chosen by `code`. The `error_description` that came back with it is
    never repeated (S37): it travels in a URL anyone can write, so it is no provider's word."""

    status = 400
    code = "access_denied"
    default_message = "Access was denied at the provider."
    MESSAGES = {
        "application_suspended": "The provider has suspended this application.",
        "redirect_uri_mismatch": ("The provider refused this site's callback address; the "
                                  "server configuration needs fixing."),
    }

    def __init__(self, message: str | None = None, *, provider: str | None = None,
                 code: str = "access_denied") -> None:
        super().__init__(self.MESSAGES.get(code) or message, provider=provider)
        self.code = code


class NotLinked(IntegrationError):
    status = 409
    code = "not_linked"
    default_message = "No account is linked."


class ProviderNotConfigured(IntegrationError):
    status = 503
    code = "provider_not_configured"
    default_message = "This provider is not configured on the server."


class GitHubAppNotConfigured(ProviderNotConfigured):
    """App mode is optional: without its settings the app's endpoints are simply absent (404),
    not a server fault."""

    status = 404
    code = "github_app_not_configured"
    default_message = "The GitHub App is not configured on this server."


# --- Facebook Page link and Page post flows -------------------------------------------------


class NoPostablePage(IntegrationError):
    status = 400
    code = "no_postable_page"
    default_message = ("This Facebook account cannot create content on any Page; ask for the "
                       "Create content task on the Page and link again.")


class PageNotManageable(IntegrationError):
    status = 400
    code = "page_not_manageable"
    default_message = "The linked Facebook user cannot create content on that Page."


class PostInvalid(IntegrationError):
    """A Page post that fails the local checks; `field` names the input at fault."""

    status = 400
    code = "validation_error"

    def __init__(self, problem: str, *, field: str) -> None:
        super().__init__(f"{field}: {problem}", provider="facebook")
        self.field, self.problem = field, problem

    def public_fields(self) -> dict[str, Any]:
        """The same `fields` shape as a serializer's validation error."""
        return {"fields": {self.field: [self.problem]}}


class IdempotencyKeyReused(IntegrationError):
    status = 422
    code = "idempotency_key_reused"
    default_message = ("This Idempotency-Key was already used for a different post; use a new "
                       "key for a new post.")


class IdempotencyInProgress(RetryLater, IntegrationError):
    """Answered at once (never by waiting): the first request still holds the key."""

    status = 409
    code = "idempotency_in_progress"
    default_message = ("A request with this Idempotency-Key is still being processed; retry "
                       "in a moment.")

    def __init__(self, message: str | None = None, *, provider: str | None = None,
                 retry_after_s: int = 5) -> None:
        super().__init__(message, provider=provider)
        self.retry_after_s = max(1, int(retry_after_s))


class AccountDisabled(IntegrationError):
    """The local account was deactivated by an administrator: no session, no API token."""

    status = 403
    code = "account_disabled"
    default_message = "This account is disabled."


class ProviderBusy(RetryLater, IntegrationError):
    """This server process already has its share of requests waiting on providers.

    Answered at once rather than queued, so a hung provider holds a bounded number of threads
    and the rest of the API keeps answering (api.middleware.ProviderConcurrencyLimit); raised
    at the first provider call of a lazily bound request (integrations.provider_slots).
    """

    status = 503
    code = "provider_busy"
    default_message = "Too many requests are waiting on the provider; try again in a moment."

    def __init__(self, message: str | None = None, *, provider: str | None = None,
                 retry_after_s: int = 2) -> None:
        super().__init__(message, provider=provider)
        self.retry_after_s = max(1, int(retry_after_s))


# --- Images (integrations.media) ------------------------------------------------------------


class ImageRefused(IntegrationError):
    """An uploaded image the media pipeline will not store (always a 400 naming the problem)."""

    status = 400
    code = "image_invalid"


class ImageInvalid(ImageRefused):
    code = "image_invalid"
    default_message = "The file is not a JPEG or PNG image that can be read."


class ImageTooLarge(ImageRefused):
    code = "image_too_large"
    default_message = "The image is too large."


class ImageTooManyPixels(ImageRefused):
    code = "image_too_many_pixels"
    default_message = "The image has too many pixels."


class ImageAspectRatio(ImageRefused):
    """Instagram takes feed images from 4:5 (portrait) to 1.91:1 (landscape) only."""

    code = "image_aspect_ratio"
    default_message = ("Instagram accepts images from 4:5 (portrait) to 1.91:1 (landscape); "
                       "crop the image or leave Instagram out.")


class ImageNotFound(IntegrationError):
    status = 400
    code = "image_not_found"
    default_message = "No uploaded image has that id."


# --- Instagram (publishing through the linked Page) -----------------------------------------


class InstagramNotConnected(IntegrationError):
    """The linked Page has no Instagram professional account, or the link lacks the
    publishing permission: connect Instagram (POST /facebook/authorize {"instagram": true})."""

    status = 409
    code = "instagram_not_connected"
    default_message = ("The linked Page has no Instagram account this site may publish to; "
                       "connect Instagram first.")


class InstagramQuotaFull(ProviderError):
    """Graph 9/2207042: the account's 24-hour publishing quota is used up (wait for the
    window, never retry blindly)."""

    status = 429
    code = "instagram_quota_full"
    default_message = "Instagram's daily publishing limit for this account is reached."


class InstagramNotReady(ProviderError):
    """Graph 9007/2207027: the container is not FINISHED yet; nothing was published."""

    code = "instagram_not_ready"
    default_message = "Instagram is still processing the image."
