"""Facebook's own callbacks: deauthorize and data deletion, verified by the signed_request.

Facebook calls these (through unauthenticated views) about one of its users; they forget that
user's tokens, and only that user's, and record data-deletion requests so their status can be
shown.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets

from django.utils import timezone

from integrations.config import get_facebook_client
from integrations.errors import InvalidSignedRequest
from integrations.models import DataDeletionRequest, DataDeletionStatus
from integrations.services.facebook.page_link import forget_page_link

logger = logging.getLogger(__name__)
_USER_ID = re.compile(r"[0-9]{1,32}")


def _signed_user_id(signed_request: str) -> str:
    payload = get_facebook_client().parse_signed_request(signed_request)
    user_id = payload.get("user_id") if isinstance(payload, dict) else None
    # App-scoped Facebook user ids are decimal strings (sometimes sent as numbers).
    if isinstance(user_id, bool) or not _USER_ID.fullmatch(str(user_id or "")):
        raise InvalidSignedRequest("The signed request names no user.", provider="facebook")
    return str(user_id)


def _forget_facebook_user(facebook_user_id: str) -> bool:
    # facebook_user_id is never empty (_signed_user_id), so an unlinked row never matches.
    forgotten = forget_page_link(only_if=lambda link: link.facebook_user_id == facebook_user_id)
    return forgotten is not None


def deauthorize_facebook_user(*, signed_request: str) -> bool:
    """Facebook says the user removed the app: forget that user's tokens (only that user's)."""
    facebook_user_id = _signed_user_id(signed_request)
    forgot = _forget_facebook_user(facebook_user_id)
    logger.info("facebook deauthorize for facebook user %s (tokens forgotten: %s)",
                facebook_user_id, forgot,
                extra={"event": "facebook_unlink", "reason": "deauthorized",
                       "provider": "facebook"})
    return forgot


def request_data_deletion(*, signed_request: str) -> DataDeletionRequest:
    """Facebook's data-deletion callback: forget the user's tokens and record the request."""
    facebook_user_id = _signed_user_id(signed_request)
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
