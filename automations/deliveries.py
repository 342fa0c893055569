"""A webhook delivery, verified then handled: one handler per GitHub event (a small table).

Order matters (S48 to S50): the automation's secret verifies the raw body before any JSON is
parsed; nothing is stored for a delivery that fails the check. A verified delivery is recorded
under its automation and `X-GitHub-Delivery` id with its outcome.

Exactly once rests on what the signature covers, never on the unsigned `X-GitHub-Delivery`
(S49): the Page post's Idempotency-Key is derived from the automation, the repository and
release ids in the body and the action (a pushed tag: the ref). A captured body resent under a
fresh delivery id names the post it already made. `process_delivery` is the part a second
webhook endpoint (a GitHub App's) calls once it has verified a delivery its own way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
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

# One deliberate cap, read before a byte of the body is. GitHub caps payloads at 25 MB, but a
# release is bounded far below that: notes of at most 125,000 characters (≤ 1.5 MB even if
# every one were a JSON \u escape pair) and at most 1,000 assets of about 2 kB each (≈ 2 MB),
# plus the repository and sender objects (≈ 10 kB). 5 MiB holds the worst release with room
# to spare and keeps one request's memory bounded; Django's DATA_UPLOAD_MAX_MEMORY_SIZE
# (256 kB, for every other endpoint) does not apply here.
MAX_BODY_BYTES = 5 * 1024 * 1024
# GitHub's delivery ids are GUIDs and its event names snake_case: nothing outside this set is
# logged or stored (no escape sequences in the plain log, no tabs in the table).
HEADER_VALUE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class Handled:
    outcome: str
    detail: str = ""
    tag: str = ""
    page_post: PagePost | None = None


def receive_delivery(*, automation_id: str | None, event: str, delivery_id: str,
                     signature: str | None, body: bytes) -> WebhookDelivery:
    """Verify, handle and record one repository-hook delivery. Raises WebhookSignatureInvalid
    (nothing stored) for an unknown automation or a bad signature, before anything is parsed
    or stored."""
    automation = _automation(automation_id)
    if automation is None or not verify_signature(automation.secret, body, signature):
        raise WebhookSignatureInvalid(provider="github")
    return process_delivery(automation=automation, event=event, delivery_id=delivery_id,
                            payload=parse_payload(body))


def process_delivery(*, automation: Automation, event: str, delivery_id: str,
                     payload: dict[str, Any]) -> WebhookDelivery:
    """Handle and record a delivery already verified for `automation`: the headers are
    checked against GitHub's character set first, then the event's handler runs and the
    delivery is recorded (per automation: another automation's delivery id is another row)."""
    check_headers(event=event, delivery_id=delivery_id)
    handler = HANDLERS.get(event, ignore)
    if not automation.enabled and handler is not handle_ping:
        handled = Handled(DeliveryOutcome.DISABLED)
    else:
        try:
            handled = handler(automation, payload)
        except IntegrationError as exc:  # e.g. no Page linked: recorded, GitHub may redeliver
            if isinstance(exc, WebhookPayloadInvalid):
                raise
            handled = Handled(DeliveryOutcome.FAILED, exc.code, tag=_tag(payload))
    logger.info("github delivery %s (%s) for automation %s: %s", delivery_id, event,
                automation.pk, handled.outcome)
    return record_delivery(automation, payload, event, delivery_id, handled)


def check_headers(*, event: str, delivery_id: str) -> None:
    """WebhookPayloadInvalid unless both are in GitHub's character set (then safe to log)."""
    if not _valid_header_value(event) or not _valid_header_value(delivery_id):
        raise WebhookPayloadInvalid(
            "X-GitHub-Event and X-GitHub-Delivery are required: 1 to 64 of A-Z a-z 0-9 _ . -",
            provider="github")


def _valid_header_value(value: str | None) -> bool:
    return isinstance(value, str) and HEADER_VALUE.fullmatch(value) is not None


def parse_payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise WebhookPayloadInvalid(provider="github")
    return payload


def content_key(automation: Automation, event: str, payload: dict[str, Any]) -> str:
    """What a post is keyed by, all of it signed: the automation, the repository id and, for a
    release, its id and the action; for a pushed tag, the ref (GitHub's `create` payload
    carries no sha). Raises WebhookPayloadInvalid when the ids are missing."""
    repository_id = _id(_object(payload, "repository").get("id"))
    if event == "release":
        release_id = _id(_object(payload, "release").get("id"))
        if repository_id is None or release_id is None:
            raise WebhookPayloadInvalid("A release delivery needs repository.id and release.id.",
                                        provider="github")
        action = _text(payload.get("action"), 32)
        return f"release:a{automation.pk}:r{repository_id}:{release_id}:{action}"
    ref = _text(payload.get("ref"), 255)
    if repository_id is None or not ref:
        raise WebhookPayloadInvalid("A tag delivery needs repository.id and ref.",
                                    provider="github")
    # A ref may be long or non-ASCII; the Idempotency-Key is printable ASCII of ≤ 255 chars.
    digest = hashlib.sha256(ref.encode()).hexdigest()[:32]
    return f"tag:a{automation.pk}:r{repository_id}:{digest}"


def _automation(automation_id: str | None) -> Automation | None:
    if not automation_id or not automation_id.isdigit() or len(automation_id) > 18:
        return None
    return Automation.objects.filter(pk=int(automation_id)).first()


def record_delivery(automation: Automation | None, payload: dict[str, Any], event: str,
                    delivery_id: str, handled: Handled) -> WebhookDelivery:
    """Record a verified delivery (no automation: an app delivery about an installation); a
    redelivery updates the same row and is counted."""
    fields = {
        "event": event, "action": _text(payload.get("action"), 64),
        "repository": _text(_object(payload, "repository").get("full_name"), 140),
        "tag": handled.tag[:255], "outcome": handled.outcome, "detail": handled.detail[:255],
    }
    if handled.page_post is not None:
        fields["page_post"] = handled.page_post
    with transaction.atomic():
        delivery, created = WebhookDelivery.objects.select_for_update().get_or_create(
            automation=automation, delivery_id=delivery_id, defaults=fields)
        if not created:  # a redelivery: same row, latest outcome, counted
            for name, value in fields.items():
                setattr(delivery, name, value)
            delivery.times_received = F("times_received") + 1
            delivery.save()
            delivery.refresh_from_db()
    return delivery


# --- Handlers: (automation, payload) -> Handled ---------------------------------------------


def handle_ping(automation: Automation, payload: dict[str, Any]) -> Handled:
    return Handled(DeliveryOutcome.PING)


def ignore(automation: Automation, payload: dict[str, Any]) -> Handled:
    return Handled(DeliveryOutcome.IGNORED, "event not automated")


def handle_release(automation: Automation, payload: dict[str, Any]) -> Handled:
    release = _object(payload, "release")
    tag = _text(release.get("tag_name"), 255)
    if payload.get("action") != "published" or AutomationEvent.RELEASE not in automation.events:
        return Handled(DeliveryOutcome.IGNORED, "only published releases are posted", tag)
    author = _object(release, "author")
    return _post(automation, payload, "release", tag=tag,
                 name=_text(release.get("name"), 255) or tag,
                 url=_text(release.get("html_url"), 2000), author=_text(author.get("login"), 100))


def handle_create(automation: Automation, payload: dict[str, Any]) -> Handled:
    """A pushed tag (`create` with ref_type tag), when the automation asks for tags."""
    tag = _text(payload.get("ref"), 255)
    if payload.get("ref_type") != "tag" or AutomationEvent.TAG not in automation.events:
        return Handled(DeliveryOutcome.IGNORED, "only tags are posted", tag)
    url = _text(_object(payload, "repository").get("html_url"), 1500)
    return _post(automation, payload, "create", tag=tag, name=tag,
                 url=f"{url}/releases/tag/{tag}" if url else "",
                 author=_text(_object(payload, "sender").get("login"), 100))


HANDLERS: dict[str, Callable[[Automation, dict[str, Any]], Handled]] = {
    "ping": handle_ping,
    "release": handle_release,
    "create": handle_create,
}


def _post(automation: Automation, payload: dict[str, Any], event: str, *, tag: str, name: str,
          url: str, author: str) -> Handled:
    full_name = _text(_object(payload, "repository").get("full_name"), 140)
    if full_name.lower() != automation.repository.lower():
        return Handled(DeliveryOutcome.IGNORED, "another repository", tag)
    key = content_key(automation, event, payload)
    message = render(automation.message_template, {
        "repository": full_name, "tag": tag, "name": name, "url": url, "author": author})
    post = enqueue_release_post(message=message, link=automation.link or url, content_key=key,
                                image=automation.image_id, targets=automation.targets)
    return Handled(DeliveryOutcome.QUEUED, tag=tag, page_post=post)


def _tag(payload: dict[str, Any]) -> str:
    return _text(_object(payload, "release").get("tag_name") or payload.get("ref"), 255)


def _object(payload: dict[str, Any], name: str) -> dict[str, Any]:
    value = payload.get(name)
    return value if isinstance(value, dict) else {}


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""
