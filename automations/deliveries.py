"""A webhook delivery, verified then handled: one handler per GitHub event (a small table).

Order matters (S48 to S50): the automation's secret verifies the raw body before any JSON is
parsed; nothing is stored for a delivery that fails the check. A verified delivery is recorded
under its `X-GitHub-Delivery` id with its outcome; a redelivery runs the handler again and the
Page post queue's Idempotency-Key keeps it to one post.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F

from automations.errors import WebhookPayloadInvalid, WebhookSignatureInvalid
from automations.message_template import render
from automations.models import Automation, AutomationEvent, DeliveryOutcome, WebhookDelivery
from automations.posting import enqueue_release_post
from integrations.errors import IntegrationError
from integrations.github import verify_signature
from integrations.models import PagePost

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # GitHub caps payloads at 25 MB; a release is a few kB


@dataclass(frozen=True)
class Handled:
    outcome: str
    detail: str = ""
    tag: str = ""
    page_post: PagePost | None = None
    automation: Automation | None = None  # app deliveries: the one it concerned, if any


def receive_delivery(*, automation_id: str | None, event: str, delivery_id: str,
                     signature: str | None, body: bytes) -> WebhookDelivery:
    """Verify, handle and record one delivery. Raises WebhookSignatureInvalid (nothing stored)
    for an unknown automation or a bad signature, before anything is parsed or stored."""
    automation = _automation(automation_id)
    if automation is None or not verify_signature(automation.secret, body, signature):
        raise WebhookSignatureInvalid(provider="github")
    if not delivery_id or len(delivery_id) > 64 or not event or len(event) > 64:
        raise WebhookPayloadInvalid("X-GitHub-Event and X-GitHub-Delivery are required.",
                                    provider="github")
    payload = _payload(body)
    handler = HANDLERS.get(event, ignore)
    if not automation.enabled and handler is not handle_ping:
        handled = Handled(DeliveryOutcome.DISABLED)
    else:
        try:
            handled = handler(automation, payload, delivery_id)
        except IntegrationError as exc:  # e.g. no Page linked: recorded, GitHub may redeliver
            handled = Handled(DeliveryOutcome.FAILED, exc.code, tag=_tag(payload))
    logger.info("github delivery %s (%s) for automation %s: %s", delivery_id, event,
                automation.pk, handled.outcome)
    return _record(automation, payload, event, delivery_id, handled)


def _automation(automation_id: str | None) -> Automation | None:
    if not automation_id or not automation_id.isdigit() or len(automation_id) > 18:
        return None
    return Automation.objects.filter(pk=int(automation_id)).first()


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise WebhookPayloadInvalid(provider="github")
    return payload


def _record_app(handled: Handled, payload: dict[str, Any], event: str,
                delivery_id: str) -> WebhookDelivery:
    """An app delivery: recorded like a hook's, under the automation it concerned (if any)."""
    return _record(handled.automation, payload, event, delivery_id, handled)


def _record(automation: Automation | None, payload: dict[str, Any], event: str,
            delivery_id: str, handled: Handled) -> WebhookDelivery:
    repository = payload.get("repository") if isinstance(payload.get("repository"), dict) else {}
    fields = {
        "automation": automation, "event": event,
        "action": _text(payload.get("action"), 64),
        "repository": _text(repository.get("full_name"), 140), "tag": handled.tag[:255],
        "outcome": handled.outcome, "detail": handled.detail[:255],
    }
    if handled.page_post is not None:
        fields["page_post"] = handled.page_post
    with transaction.atomic():
        delivery, created = WebhookDelivery.objects.select_for_update().get_or_create(
            delivery_id=delivery_id, defaults=fields)
        if not created:  # a redelivery: same row, latest outcome, counted
            for name, value in fields.items():
                setattr(delivery, name, value)
            delivery.times_received = F("times_received") + 1
            delivery.save()
            delivery.refresh_from_db()
    return delivery


# --- Handlers: (automation, payload, delivery id) -> Handled --------------------------------


def handle_ping(automation: Automation, payload: dict[str, Any], delivery_id: str) -> Handled:
    return Handled(DeliveryOutcome.PING)


def ignore(automation: Automation, payload: dict[str, Any], delivery_id: str) -> Handled:
    return Handled(DeliveryOutcome.IGNORED, "event not automated")


def handle_release(automation: Automation, payload: dict[str, Any], delivery_id: str
                   ) -> Handled:
    release = payload.get("release") if isinstance(payload.get("release"), dict) else {}
    tag = _text(release.get("tag_name"), 255)
    if payload.get("action") != "published" or AutomationEvent.RELEASE not in automation.events:
        return Handled(DeliveryOutcome.IGNORED, "only published releases are posted", tag)
    author = release.get("author") if isinstance(release.get("author"), dict) else {}
    return _post(automation, payload, delivery_id, tag=tag, name=_text(release.get("name"), 255)
                 or tag, url=_text(release.get("html_url"), 2000),
                 author=_text(author.get("login"), 100))


def handle_create(automation: Automation, payload: dict[str, Any], delivery_id: str) -> Handled:
    """A pushed tag (`create` with ref_type tag), when the automation asks for tags."""
    tag = _text(payload.get("ref"), 255)
    if payload.get("ref_type") != "tag" or AutomationEvent.TAG not in automation.events:
        return Handled(DeliveryOutcome.IGNORED, "only tags are posted", tag)
    repository = payload.get("repository") if isinstance(payload.get("repository"), dict) else {}
    sender = payload.get("sender") if isinstance(payload.get("sender"), dict) else {}
    url = _text(repository.get("html_url"), 1500)
    return _post(automation, payload, delivery_id, tag=tag, name=tag,
                 url=f"{url}/releases/tag/{tag}" if url else "",
                 author=_text(sender.get("login"), 100))


HANDLERS: dict[str, Callable[[Automation, dict[str, Any], str], Handled]] = {
    "ping": handle_ping,
    "release": handle_release,
    "create": handle_create,
}


def _post(automation: Automation, payload: dict[str, Any], delivery_id: str, *, tag: str,
          name: str, url: str, author: str) -> Handled:
    repository = payload.get("repository") if isinstance(payload.get("repository"), dict) else {}
    full_name = _text(repository.get("full_name"), 140)
    if full_name.lower() != automation.repository.lower():
        return Handled(DeliveryOutcome.IGNORED, "another repository", tag)
    message = render(automation.message_template, {
        "repository": full_name, "tag": tag, "name": name, "url": url, "author": author})
    post = enqueue_release_post(message=message, link=automation.link or url,
                                delivery_id=delivery_id)
    return Handled(DeliveryOutcome.QUEUED, tag=tag, page_post=post)


def _tag(payload: dict[str, Any]) -> str:
    release = payload.get("release") if isinstance(payload.get("release"), dict) else {}
    return _text(release.get("tag_name") or payload.get("ref"), 255)


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""
