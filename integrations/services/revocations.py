"""Revoking GitHub tokens and grants on the worker, with retries and back-off.

Revocation was tried once, inline: a GitHub outage at account deletion left the grant alive
and forgotten. Now each revocation is a row (the token encrypted like every stored token; a
task carries only the row's id) that the worker tries until GitHub confirms, backing off
between attempts; when the attempts run out the row stays `failed`, shown in the admin with
its last error, where it can be tried again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from integrations import task_queue
from integrations.config import get_github_client
from integrations.errors import IntegrationError
from integrations.models import GitHubRevocation, RevocationKind, RevocationStatus
from integrations.services.page_posts import RetryPolicy

logger = logging.getLogger(__name__)


def retry_policy() -> RetryPolicy:
    return RetryPolicy(max_attempts=settings.REVOCATION_MAX_ATTEMPTS,
                       base_s=settings.REVOCATION_RETRY_BASE_S,
                       max_s=settings.REVOCATION_RETRY_MAX_S)


def schedule_revocation(*, token: str, kind: str, reason: str,
                        github_id: int | None = None) -> GitHubRevocation:
    """Record the revocation and hand it to the worker once this transaction commits."""
    revocation = GitHubRevocation.objects.create(
        kind=kind, token=token, reason=reason, github_id=github_id,
        next_attempt_at=timezone.now())
    _enqueue(revocation.pk)
    logger.info("github %s revocation %s scheduled (%s)", kind, revocation.pk, reason)
    return revocation


def retry_revocation(revocation: GitHubRevocation) -> None:
    """An operator's "try again" on a failed revocation: a fresh round of attempts."""
    GitHubRevocation.objects.filter(pk=revocation.pk, status=RevocationStatus.FAILED).update(
        status=RevocationStatus.PENDING, attempts=0, finished_at=None,
        next_attempt_at=timezone.now())
    _enqueue(revocation.pk)


def attempt_revocation(*, revocation_id: int) -> str:
    """One attempt: revoked (the token is forgotten), retried later, or failed for good."""
    revocation = GitHubRevocation.objects.filter(
        pk=revocation_id, status=RevocationStatus.PENDING).first()
    if revocation is None:
        return "not pending"
    attempts = revocation.attempts + 1
    now = timezone.now()
    try:
        _revoke(revocation)
    except IntegrationError as exc:
        delay_s = retry_policy().delay_s(attempts, exc.retry_after_s)
        if delay_s is None:
            _update(revocation, status=RevocationStatus.FAILED, attempts=attempts,
                    last_error=exc.code, finished_at=now, next_attempt_at=None)
            logger.error("github %s revocation %s failed after %s attempts: %s",
                         revocation.kind, revocation.pk, attempts, exc.code)
            return "failed"
        run_after = now + timedelta(seconds=delay_s)
        _update(revocation, attempts=attempts, last_error=exc.code, next_attempt_at=run_after)
        _enqueue(revocation.pk, run_after)
        logger.warning("github %s revocation %s: attempt %s failed (%s), retrying",
                       revocation.kind, revocation.pk, attempts, exc.code)
        return "retrying"
    _update(revocation, status=RevocationStatus.DONE, token="", attempts=attempts,
            last_error="", finished_at=now, next_attempt_at=None)
    logger.info("github %s revocation %s done", revocation.kind, revocation.pk)
    return "revoked"


def _revoke(revocation: GitHubRevocation) -> None:
    if not revocation.token:  # unreadable (its encryption key was dropped): nothing to send
        raise IntegrationError("The token can no longer be decrypted.")
    client = get_github_client()
    if revocation.kind == RevocationKind.GRANT:
        client.revoke_grant(revocation.token)
    else:
        client.revoke_token(revocation.token)


def _update(revocation: GitHubRevocation, **fields) -> None:
    for name, value in fields.items():
        setattr(revocation, name, value)
    revocation.save(update_fields=list(fields))


def _enqueue(revocation_id: int, run_after: datetime | None = None) -> None:
    """The task carries the row's id, never the token (integrations.tasks runs it)."""
    task_queue.REVOKE_GITHUB_CREDENTIAL.enqueue_on_commit(revocation_id, run_after=run_after)
