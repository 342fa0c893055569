"""Periodic clean-up, run by `manage.py sweep` (cron) or the `sweep` task."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from integrations.flows import purge_expired_flows
from integrations.services.instagram import sweep_stale_instagram_targets
from integrations.services.media import sweep_unused_images
from integrations.services.page_post_recovery import sweep_stale_page_posts


def prune_task_results(*, older_than: timedelta | None = None) -> int:
    """Delete finished task results older than TASK_RESULTS_KEEP_DAYS (what django-tasks-db's
    `prune_db_task_results` does, callable from a task)."""
    age = older_than or timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(
        finished_at__lt=timezone.now() - age).delete()
    return deleted


def sweep() -> dict[str, int]:
    """One pass of every clean-up; answers how many rows each touched."""
    return {
        "expired_flows": purge_expired_flows(),
        "task_results": prune_task_results(),
        "stale_posts": sweep_stale_page_posts(),
        "unused_images": sweep_unused_images(),
        "stale_instagram_targets": sweep_stale_instagram_targets(),
    }
