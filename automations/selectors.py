"""Reads for the API and the SPA: automations with their last deliveries, and where a Page
post came from (post history shows automation, repository, tag and delivery id)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from automations.models import Automation, Installation, WebhookDelivery

RECENT_DELIVERIES = 5


def automations_with_deliveries() -> QuerySet[Automation]:
    return Automation.objects.select_related("created_by__github_account", "installation").order_by(
        "-created_at", "-id")


def recent_deliveries(automation: Automation) -> list[WebhookDelivery]:
    """The last deliveries, each with the Page post it queued (its current status) in the same
    query."""
    return list(automation.deliveries.select_related("page_post")
                .order_by("-last_received_at", "-id")[:RECENT_DELIVERIES])


def repository_taken(repository: str) -> bool:
    return Automation.objects.filter(repository__iexact=repository).exists()


def post_sources(post_ids: Iterable[int]) -> dict[int, WebhookDelivery]:
    """The delivery that queued each of these posts (absent: not from an automation). Several
    deliveries of one release name the same post: the first one received is its source."""
    deliveries = WebhookDelivery.objects.filter(page_post_id__in=list(post_ids)).only(
        "delivery_id", "automation_id", "repository", "tag", "event", "page_post_id",
    ).order_by("-received_at", "-id")
    return {d.page_post_id: d for d in deliveries}  # later in the list (earlier received) wins


def live_installations() -> QuerySet[Installation]:
    """Connected installations not uninstalled at GitHub."""
    return Installation.objects.filter(deleted_at__isnull=True).order_by("account_login",
                                                                         "github_id")


def live_installation(github_id: int) -> Installation | None:
    """The connected installation with GitHub's id `github_id`, unless uninstalled."""
    return live_installations().filter(github_id=github_id).first()
