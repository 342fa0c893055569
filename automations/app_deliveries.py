"""The GitHub App's one webhook: verify, then one small handler per (event, action).

Order (EXAMPLES-ROUND3 §4): the app's webhook secret verifies the raw body in constant time
before any JSON is parsed (nothing stored for a refusal); the handler is looked up in a table
keyed on (event, action), unknown pairs are recorded and answered 202. The delivery is
recorded under `X-GitHub-Delivery` (a redelivery counts on the same row), but exactly-once
posting rests on what the signature covers: the Page post's Idempotency-Key is derived from
the automation, repository id, release id and action in the body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from automations import installations
from automations.deliveries import Handled, _payload, _record_app, _text
from automations.errors import WebhookPayloadInvalid, WebhookSignatureInvalid
from automations.message_template import render
from automations.models import (
    Automation,
    AutomationEvent,
    DeliveryOutcome,
    HookMode,
    Installation,
    WebhookDelivery,
)
from automations.posting import enqueue_signed_release_post, release_idempotency_key
from automations.tasks import sync_installation
from integrations.errors import IntegrationError
from integrations.github import verify_signature
from integrations.parsing import int_or_none

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Handled]


def receive_app_delivery(*, event: str, delivery_id: str, signature: str | None,
                         body: bytes) -> WebhookDelivery:
    """Verify, handle and record one app delivery (WebhookSignatureInvalid: nothing stored)."""
    secret = str(getattr(settings, "GITHUB_APP_WEBHOOK_SECRET", "") or "")
    if not verify_signature(secret, body, signature):
        raise WebhookSignatureInvalid(provider="github")
    if not delivery_id or len(delivery_id) > 64 or not event or len(event) > 64:
        raise WebhookPayloadInvalid("X-GitHub-Event and X-GitHub-Delivery are required.",
                                    provider="github")
    payload = _payload(body)
    action = _text(payload.get("action"), 64)
    handler = HANDLERS.get((event, action)) or HANDLERS.get((event, None)) or ignore
    try:
        handled = handler(payload)
    except IntegrationError as exc:  # e.g. no Page linked: recorded, GitHub may redeliver
        handled = Handled(DeliveryOutcome.FAILED, exc.code)
    logger.info("github app delivery %s (%s %s): %s", delivery_id, event, action or "-",
                handled.outcome)
    return _record_app(handled, payload, event, delivery_id)


# --- Handlers: payload -> Handled -----------------------------------------------------------


def handle_ping(payload: dict[str, Any]) -> Handled:
    return Handled(DeliveryOutcome.PING)


def ignore(payload: dict[str, Any]) -> Handled:
    return Handled(DeliveryOutcome.IGNORED, "event not automated")


def handle_release_published(payload: dict[str, Any]) -> Handled:
    release = _object(payload, "release")
    repository = _object(payload, "repository")
    tag = _text(release.get("tag_name"), 255)
    installation = _installation(payload)
    full_name = _text(repository.get("full_name"), 140)
    if installation is None:
        return Handled(DeliveryOutcome.IGNORED, "installation not connected", tag)
    automation = Automation.objects.filter(
        hook_mode=HookMode.APP, installation=installation,
        repository__iexact=full_name).first()
    if automation is None:
        return Handled(DeliveryOutcome.IGNORED, "no automation for this repository", tag)
    if not automation.enabled or installation.suspended:
        return Handled(DeliveryOutcome.DISABLED, automation.disabled_reason, tag,
                       automation=automation)
    if release.get("draft") is True or AutomationEvent.RELEASE not in automation.events:
        return Handled(DeliveryOutcome.IGNORED, "only published releases are posted", tag,
                       automation=automation)
    repository_id, release_id = int_or_none(repository.get("id")), int_or_none(release.get("id"))
    if repository_id is None or release_id is None:
        raise WebhookPayloadInvalid(provider="github")
    author = _object(release, "author")
    url = _text(release.get("html_url"), 2000)
    message = render(automation.message_template, {
        "repository": full_name, "tag": tag, "name": _text(release.get("name"), 255) or tag,
        "url": url, "author": _text(author.get("login"), 100)})
    key = release_idempotency_key(automation_id=automation.pk, repository_id=repository_id,
                                  release_id=release_id, action="published")
    post = enqueue_signed_release_post(message=message, link=automation.link or url, key=key)
    return Handled(DeliveryOutcome.QUEUED, tag=tag, page_post=post, automation=automation)


def _installation_event(change: Callable[[Installation], int]) -> Handler:
    def handle(payload: dict[str, Any]) -> Handled:
        installation = _installation(payload)
        if installation is None:
            return Handled(DeliveryOutcome.IGNORED, "installation not connected")
        changed = change(installation)
        return Handled(DeliveryOutcome.UPDATED, f"{changed} automation(s) changed")
    return handle


def handle_unsuspend(payload: dict[str, Any]) -> Handled:
    """Usable again; its repositories may have changed meanwhile: read them (a task)."""
    installation = _installation(payload)
    if installation is None:
        return Handled(DeliveryOutcome.IGNORED, "installation not connected")
    changed = installations.installation_unsuspended(installation)
    github_id = installation.github_id
    transaction.on_commit(lambda: sync_installation.enqueue(github_id))
    return Handled(DeliveryOutcome.UPDATED, f"{changed} automation(s) enabled again")


def handle_repositories_removed(payload: dict[str, Any]) -> Handled:
    installation = _installation(payload)
    if installation is None:
        return Handled(DeliveryOutcome.IGNORED, "installation not connected")
    names = _names(payload.get("repositories_removed"))
    changed = installations.repositories_removed(installation, names)
    return Handled(DeliveryOutcome.UPDATED, f"{changed} automation(s) disabled")


def handle_repositories_added(payload: dict[str, Any]) -> Handled:
    installation = _installation(payload)
    if installation is None:
        return Handled(DeliveryOutcome.IGNORED, "installation not connected")
    installations.repositories_added(installation, _names(payload.get("repositories_added")))
    return Handled(DeliveryOutcome.UPDATED, "repositories added")


HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("ping", None): handle_ping,
    ("release", "published"): handle_release_published,
    ("installation", "deleted"): _installation_event(installations.installation_deleted),
    ("installation", "suspend"): _installation_event(installations.installation_suspended),
    ("installation", "unsuspend"): handle_unsuspend,
    ("installation_repositories", "removed"): handle_repositories_removed,
    ("installation_repositories", "added"): handle_repositories_added,
}


def _installation(payload: dict[str, Any]) -> Installation | None:
    """Ours, by the id in the signed body; some events carry none (Probot #1396)."""
    installation_id = int_or_none(_object(payload, "installation").get("id"))
    if installation_id is None:
        return None
    return Installation.objects.filter(github_id=installation_id,
                                       deleted_at__isnull=True).first()


def _names(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [name for item in items if isinstance(item, dict)
            and (name := _text(item.get("full_name"), 140))]


def _object(payload: dict[str, Any], key: str) -> dict[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, dict) else {}
