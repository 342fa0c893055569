"""The one place an automation hands a post to the Page post queue (issue 11's service).

Exactly once: the Idempotency-Key is derived from GitHub's delivery id, which a redelivery
keeps, so the queue answers a redelivery with the post it already has.
"""

from __future__ import annotations

from integrations.models import PagePost
from integrations.services.page_posts import enqueue_page_post


def idempotency_key(delivery_id: str) -> str:
    return f"github-delivery:{delivery_id}"


def enqueue_release_post(*, message: str, link: str, delivery_id: str,
                         image: int | None = None, targets=("facebook",)) -> PagePost:
    """One post per release, to each of its targets (Facebook, and Instagram when chosen):
    a redelivery finds the post its key names and adds none. A release whose text breaks
    Instagram's rules still posts to Facebook (its Instagram target failed with the rule)."""
    return enqueue_page_post(message=message, link=link or None,
                             idempotency_key=idempotency_key(delivery_id), image=image,
                             targets=tuple(targets or ("facebook",)), record_refusals=True)
