"""OAuth `state` + PKCE: issue a flow at authorize, consume it exactly once at callback.

Every check here runs before any call to a provider (S35): unknown, expired, used and
foreign states are refused with distinct codes.
"""

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from integrations.errors import StateExpired, StateInvalid, StateMismatch, StateUsed
from integrations.models import FlowClient, FlowPurpose, OAuthFlow
from integrations.prepared import STR_PLACEHOLDER, PreparedLookup, insert_row

SESSION_BINDING_KEY = "oauth_binding"


@dataclass(frozen=True)
class StartedAuthorization:
    """What an authorize endpoint answers: where to send the person, and the pending state."""

    authorize_url: str
    state: str
    expires_at: datetime


@dataclass(frozen=True)
class StartedFlow:
    state: str
    expires_at: datetime
    code_challenge: str


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def s256_challenge(code_verifier: str) -> str:
    """RFC 7636 S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_code_verifier() -> str:
    return secrets.token_urlsafe(48)  # 64 characters of the unreserved set


def session_binding(session) -> str:
    """A random value tied to this browser's session; states are bound to its hash (S2).
    A new one marks the session modified: SessionMiddleware stores it (one INSERT for a new
    session) and sets the cookie as the response leaves."""
    binding = session.get(SESSION_BINDING_KEY)
    if not binding:
        binding = secrets.token_urlsafe(32)
        session[SESSION_BINDING_KEY] = binding
    return binding


def start_flow(*, purpose: FlowPurpose, redirect_uri: str, binding: str, user=None,
               client: FlowClient = FlowClient.BROWSER, code_challenge: str | None = None,
               ) -> StartedFlow:
    """Record a pending flow. Browser flows get a server-side PKCE verifier; apps bring theirs."""
    state = secrets.token_urlsafe(32)
    verifier = None
    if code_challenge is None:
        verifier = new_code_verifier()
        code_challenge = s256_challenge(verifier)
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.OAUTH_STATE_TTL_S)
    purge_expired_flows_periodically()  # bounded storage of pending flows (S34)
    insert_row(  # the flow's id is never read here: no instance, SQL made once
        OAuthFlow, state_hash=_sha256(state), purpose=purpose, client=client,
        binding_hash=_sha256(binding), user_id=None if user is None else user.pk,
        redirect_uri=redirect_uri, code_challenge=code_challenge, code_verifier=verifier,
        created_at=now, expires_at=expires_at,
    )
    return StartedFlow(state=state, expires_at=expires_at, code_challenge=code_challenge)


# The state hash is unique; its SELECT is compiled once per thread (issue 27).
_FLOW_BY_STATE_HASH = PreparedLookup(lambda state_hash: OAuthFlow.objects.filter(
    state_hash=state_hash), placeholder=STR_PLACEHOLDER)


def consume_flow(*, purpose: FlowPurpose, state: str, binding: str | None, user=None,
                 code_verifier: str | None = None,
                 client: FlowClient = FlowClient.BROWSER) -> OAuthFlow:
    """Check and consume a flow atomically: of N racing callbacks exactly one gets it.

    Browser flows need `binding` (the session's); app flows need `code_verifier`, whose S256
    must equal the challenge the app sent at authorize. `client` is the kind of caller: a
    browser cannot finish an app's flow, nor an app a browser's.
    """
    flow = _FLOW_BY_STATE_HASH.first(_sha256(state))
    if flow is None or flow.purpose != purpose:
        raise StateInvalid()
    if flow.consumed_at is not None:
        raise StateUsed()
    if flow.expires_at <= timezone.now():
        raise StateExpired()
    if flow.client != client:
        raise StateMismatch()
    _check_binding(flow, binding=binding, user=user, code_verifier=code_verifier)
    # One conditional UPDATE (atomic on its own): of racing callbacks one changes the row.
    # The verifier goes with the state: this request holds it in memory for the exchange.
    won = OAuthFlow.objects.filter(pk=flow.pk, consumed_at__isnull=True).update(
        consumed_at=timezone.now(), code_verifier=None
    )
    if not won:
        raise StateUsed()
    if flow.client == FlowClient.APP:
        flow.code_verifier = code_verifier
    return flow


def _check_binding(flow: OAuthFlow, *, binding, user, code_verifier) -> None:
    if flow.client == FlowClient.APP:
        if not code_verifier or not hmac.compare_digest(
            s256_challenge(code_verifier), flow.code_challenge
        ):
            raise StateMismatch("The code_verifier does not match this sign-in's code_challenge.")
        return
    if not binding or not hmac.compare_digest(_sha256(binding), flow.binding_hash):
        raise StateMismatch()
    if flow.user_id is not None and (user is None or user.pk != flow.user_id):
        raise StateMismatch()


def purge_expired_flows() -> int:
    """Forget flows that expired over an hour ago (kept that long for `state_expired` answers)."""
    cutoff = timezone.now() - timedelta(hours=1)
    deleted, _ = OAuthFlow.objects.filter(expires_at__lt=cutoff).delete()
    return deleted


class PeriodicPurge:
    """Runs `purge_expired_flows` at most once every `interval_s` in this process.

    Expired flows are kept an hour anyway, so a minute more does not unbound storage (S34),
    whereas a DELETE on every authorize cost a fifth of its time and took the write lock.
    """

    interval_s = 60.0
    timer = time.monotonic

    def __init__(self) -> None:
        self._due_at = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        now = self.timer()
        with self._lock:
            if now < self._due_at:
                return 0
            self._due_at = now + self.interval_s
        return purge_expired_flows()


purge_expired_flows_periodically = PeriodicPurge()
