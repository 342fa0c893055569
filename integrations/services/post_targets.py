"""A post's targets as the API shows them: one entry per place it goes, with its own status,
the provider's id, a permalink and the error code."""

from __future__ import annotations

from integrations.models import PagePost

FACEBOOK_PERMALINK = "https://www.facebook.com/{post_id}"


def post_targets(post: PagePost) -> list[dict]:
    targets = [{
        "target": "facebook", "status": post.status,
        "provider_id": post.facebook_post_id or None,
        "permalink": FACEBOOK_PERMALINK.format(post_id=post.facebook_post_id)
        if post.facebook_post_id else None,
        "error_code": post.error_code or None,
    }]
    return targets
