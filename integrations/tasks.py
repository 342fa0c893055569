"""Background tasks (Django's task framework; `manage.py db_worker` runs them).

An interface like views: each takes ids or nothing, calls one service and returns a short,
JSON-able summary for the task result. Services decide when to enqueue (after commit), through
the slots of `integrations.task_queue` that the Page post tasks bind here: the tasks sit above
the services, which never import this module.
"""

from django.tasks import task

from integrations import task_queue
from integrations.services import maintenance, page_post_recovery, revocations, token_warnings


@task_queue.ATTEMPT_PAGE_POST.provides
@task()
def attempt_page_post(post_id: int) -> str:
    """Send a queued or retrying Page post (once: the row is claimed first)."""
    return page_post_recovery.attempt_page_post(post_id=post_id)


@task_queue.RECONCILE_PAGE_POST.provides
@task()
def reconcile_page_post(post_id: int) -> str:
    """Settle a post whose outcome is unknown by reading the Page's posts."""
    return page_post_recovery.reconcile_page_post(post_id=post_id)


@task()
def check_tokens() -> list[str]:
    """The daily token check: warn staff about expiring or invalid tokens (once each)."""
    return [warning.code for warning in token_warnings.check_tokens()]


@task()
def sweep() -> dict[str, int]:
    """Expired OAuth flows, old task results, stale pending posts."""
    return maintenance.sweep()


@task_queue.REVOKE_GITHUB_CREDENTIAL.provides
@task()
def revoke_github_credential(revocation_id: int) -> str:
    """One attempt at the GitHub revocation this id names (the token stays in its row)."""
    return revocations.attempt_revocation(revocation_id=revocation_id)
