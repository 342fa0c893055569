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
        "error_message": post.error_message or None,
        "container_id": None, "next_check_at": post.next_attempt_at,
    }]
    for extra in post.extra_targets.all():  # prefetched by the history
        targets.append({
            "target": extra.target, "status": extra.status,
            "provider_id": extra.media_id or None, "permalink": extra.permalink or None,
            "error_code": extra.error_code or None,
            "error_message": extra.error_message or None,
            "container_id": extra.container_id or None,
            "next_check_at": extra.next_check_at,
        })
    return targets
