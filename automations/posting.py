"""The one place an automation hands a post to the Page post queue (issue 11's service).

Exactly once: the Idempotency-Key is derived from signed content (see
`automations.deliveries.content_key`), so however a release arrives (GitHub's redelivery, a
captured body resent under a fresh `X-GitHub-Delivery`) the queue answers with the post it
already has.
"""

from __future__ import annotations

from integrations.errors import IdempotencyKeyReused
from integrations.models import PagePost
from integrations.services.page_posts import enqueue_page_post


def idempotency_key(content_key: str) -> str:
    return f"github:{content_key}"


def enqueue_release_post(*, message: str, link: str, content_key: str) -> PagePost:
    """The post for this release, queued once. A later delivery of the same release whose
    message differs (the template or the release name changed) still names the first post:
    the release has been posted."""
    key = idempotency_key(content_key)
    try:
        return enqueue_page_post(message=message, link=link or None, idempotency_key=key)
    except IdempotencyKeyReused:
        return PagePost.objects.get(idempotency_key=key)
