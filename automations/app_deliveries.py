"""The GitHub App's one webhook: verify, then route by (event, action).

Order (EXAMPLES-ROUND3 §4): the app's webhook secret verifies the raw body in constant time
before any JSON is parsed (nothing stored for a refusal). A `release` is routed, by the
installation id and repository in the signed body, to its app-mode automation and handed to
`automations.deliveries.process_delivery`, the same flow as a repository hook's delivery:
exactly once rests on what the signature covers (the Idempotency-Key derives from the
automation, repository id, release id and action), never on `X-GitHub-Delivery`. Installation
events go through a small table keyed on (event, action); unknown pairs are recorded, 202.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from automations import installations, selectors
from automations.deliveries import (
    Handled,
    check_headers,
    parse_payload,
    process_delivery,
    record_delivery,
)
from automations.errors import WebhookSignatureInvalid
from automations.models import (
    Automation,
    DeliveryOutcome,
    HookMode,
    Installation,
    WebhookDelivery,
)
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
    check_headers(event=event, delivery_id=delivery_id)
    payload = parse_payload(body)
    if event == "release":
        automation = release_automation(payload)
        if automation is not None:  # the repository hook's flow, from here on
            return process_delivery(automation=automation, event=event,
                                    delivery_id=delivery_id, payload=payload)
        handled = Handled(DeliveryOutcome.IGNORED, "no app-mode automation for this repository",
                          _text(_object(payload, "release").get("tag_name"), 255))
    else:
        action = _text(payload.get("action"), 64)
        handler = HANDLERS.get((event, action)) or HANDLERS.get((event, None)) or ignore
        try:
            handled = handler(payload)
        except IntegrationError as exc:
            handled = Handled(DeliveryOutcome.FAILED, exc.code)
    logger.info("github app delivery %s (%s): %s", delivery_id, event, handled.outcome)
    return record_delivery(None, payload, event, delivery_id, handled)


def release_automation(payload: dict[str, Any]) -> Automation | None:
    """The app-mode automation of the installation and repository named in the signed body."""
    installation = _installation(payload)
    full_name = _text(_object(payload, "repository").get("full_name"), 140)
    if installation is None or not full_name:
        return None
    return Automation.objects.filter(hook_mode=HookMode.APP, installation=installation,
                                     repository__iexact=full_name).first()


# --- Handlers: payload -> Handled -----------------------------------------------------------


def handle_ping(payload: dict[str, Any]) -> Handled:
    return Handled(DeliveryOutcome.PING)


def ignore(payload: dict[str, Any]) -> Handled:
    return Handled(DeliveryOutcome.IGNORED, "event not automated")


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
    return selectors.live_installation(installation_id)


def _names(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [name for item in items if isinstance(item, dict)
            and (name := _text(item.get("full_name"), 140))]


def _object(payload: dict[str, Any], key: str) -> dict[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""
