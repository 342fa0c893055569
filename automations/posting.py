"""The one place an automation hands a post to the Page post queue (issue 11's service).

Exactly once: the Idempotency-Key is derived from GitHub's delivery id, which a redelivery
keeps, so the queue answers a redelivery with the post it already has.
"""

from __future__ import annotations

from integrations.models import PagePost
from integrations.services.page_posts import enqueue_page_post


def idempotency_key(delivery_id: str) -> str:
    return f"github-delivery:{delivery_id}"


def enqueue_release_post(*, message: str, link: str, delivery_id: str) -> PagePost:
    return enqueue_page_post(message=message, link=link or None,
                             idempotency_key=idempotency_key(delivery_id))


def release_idempotency_key(*, automation_id: int, repository_id: int, release_id: int,
                            action: str) -> str:
    """From what the signature covers (the body), never from the unsigned X-GitHub-Delivery:
    a resent body under a fresh delivery id names the same post."""
    return f"github-release:{automation_id}:{repository_id}:{release_id}:{action}"


def enqueue_signed_release_post(*, message: str, link: str, key: str) -> PagePost:
    return enqueue_page_post(message=message, link=link or None, idempotency_key=key)
