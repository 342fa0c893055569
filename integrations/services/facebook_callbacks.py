"""Facebook's own callbacks: deauthorize and data deletion, verified by the signed_request.

Facebook calls these (through unauthenticated views) about one of its users; they forget that
user's tokens, and only that user's, and record data-deletion requests so their status can be
shown. A signed_request is acted on once, and only while fresh: a captured one cannot be
replayed (S30), at the same callback or at the other one. One signed request serves one
callback: Facebook signs each callback's request afresh, so a deauthorize request seen again
at data deletion (or the reverse) is a replay, never a second legitimate use.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.config import get_facebook_client
from integrations.errors import InvalidSignedRequest
from integrations.models import DataDeletionRequest, DataDeletionStatus, SignedRequestReceipt
from integrations.parsing import int_or_none
from integrations.services.facebook.page_link import forget_page_link

logger = logging.getLogger(__name__)
_USER_ID = re.compile(r"[0-9]{1,32}")
CLOCK_SKEW_S = 60  # Facebook's clock and ours may differ a little; an hour "ahead" is forged


def _signed_user_id(signed_request: str, *, kind: str) -> str:
    """The verified, fresh, first-seen request's user id; call inside a transaction, so the
    receipt is kept only if the work it guards is done."""
    payload = get_facebook_client().parse_signed_request(signed_request)
    user_id = payload.get("user_id") if isinstance(payload, dict) else None
    # App-scoped Facebook user ids are decimal strings (sometimes sent as numbers).
    if isinstance(user_id, bool) or not _USER_ID.fullmatch(str(user_id or "")):
        raise InvalidSignedRequest("The signed request names no user.", provider="facebook")
    issued_at = _fresh_issued_at(payload.get("issued_at"))
    _process_once(user_id=str(user_id), issued_at=issued_at)
    logger.debug("facebook %s signed request accepted", kind)
    return str(user_id)


def _fresh_issued_at(value) -> int:
    """`issued_at` within FACEBOOK_SIGNED_REQUEST_MAX_AGE_S of now, and not in the future
    (beyond a little clock skew)."""
    issued_at = None if isinstance(value, bool) else int_or_none(value)
    now = int(timezone.now().timestamp())
    if issued_at is None or issued_at < now - settings.FACEBOOK_SIGNED_REQUEST_MAX_AGE_S:
        raise InvalidSignedRequest("The signed request is too old.", provider="facebook")
    if issued_at > now + CLOCK_SKEW_S:
        raise InvalidSignedRequest("The signed request is dated in the future.",
                                   provider="facebook")
    return issued_at


def _process_once(*, user_id: str, issued_at: int) -> None:
    """Remember (user, issued_at), whichever callback it came to; a second sight of the same
    request is a replay. Receipts older than the window are dropped: the freshness check
    refuses those anyway."""
    oldest = int(timezone.now().timestamp()) - settings.FACEBOOK_SIGNED_REQUEST_MAX_AGE_S
    SignedRequestReceipt.objects.filter(issued_at__lt=oldest - CLOCK_SKEW_S).delete()
    try:
        with transaction.atomic():
            SignedRequestReceipt.objects.create(
                facebook_user_hash=hashlib.sha256(f"signed:{user_id}".encode()).hexdigest(),
                issued_at=issued_at)
    except IntegrityError:
        raise InvalidSignedRequest("This signed request was already processed.",
                                   provider="facebook") from None


def _forget_facebook_user(facebook_user_id: str) -> bool:
    # facebook_user_id is never empty (_signed_user_id), so an unlinked row never matches.
    forgotten = forget_page_link(only_if=lambda link: link.facebook_user_id == facebook_user_id)
    return forgotten is not None


@transaction.atomic
def deauthorize_facebook_user(*, signed_request: str) -> bool:
    """Facebook says the user removed the app: forget that user's tokens (only that user's)."""
    facebook_user_id = _signed_user_id(signed_request, kind="deauthorize")
    forgot = _forget_facebook_user(facebook_user_id)
    logger.info("facebook deauthorize for facebook user %s (tokens forgotten: %s)",
                facebook_user_id, forgot,
                extra={"event": "facebook_unlink", "reason": "deauthorized",
                       "provider": "facebook"})
    return forgot


@transaction.atomic
def request_data_deletion(*, signed_request: str) -> DataDeletionRequest:
    """Facebook's data-deletion callback: forget the user's tokens and record the request."""
    facebook_user_id = _signed_user_id(signed_request, kind="data-deletion")
    record = DataDeletionRequest.objects.create(
        confirmation_code=secrets.token_hex(10),
        facebook_user_hash=hashlib.sha256(facebook_user_id.encode()).hexdigest(),
    )
    _forget_facebook_user(facebook_user_id)
    record.status, record.completed_at = DataDeletionStatus.COMPLETED, timezone.now()
    record.save(update_fields=["status", "completed_at"])
    logger.info("facebook data deletion %s completed", record.confirmation_code)
    return record


def data_deletion_status(*, confirmation_code: str) -> DataDeletionRequest | None:
    return DataDeletionRequest.objects.filter(confirmation_code=confirmation_code).first()
