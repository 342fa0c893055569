"""Release automations: a GitHub release on a chosen repository becomes a Facebook Page post.

Depends on `integrations` (GitHub client, Page post queue, encryption); never imported by it.
"""
