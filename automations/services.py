"""Automations: create, change and delete them, registering GitHub's webhook as they go.

The webhook is created with the acting staff member's GitHub token, which needs
`admin:repo_hook` (or `repo`); without it PermissionMissing names the scope so the SPA can ask
for it (incremental authorization). In manual mode nothing is registered: the payload URL and
the secret are shown once, for pasting into the repository's settings.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from automations.errors import (
    AutomationExists,
    InstallationUnavailable,
    RepositoryNotAdministered,
)
from automations.models import Automation, HookMode, Installation
from integrations.config import get_github_client
from integrations.errors import ImageAspectRatio, PermissionMissing, PostInvalid
from integrations.github.errors import Forbidden, NotFound
from integrations.media.pipeline import fits_instagram
from integrations.models import MediaImage
from integrations.services.github import fresh_access_token, github_account_of
from integrations.services.media import get_image

logger = logging.getLogger(__name__)

HOOK_SCOPES = ("admin:repo_hook", "repo")  # either lets a token create and delete hooks
HOOK_EVENTS = ("release", "create")  # both, always: the automation's own `events` filter
SECRET_BYTES = 32


@dataclass(frozen=True)
class CreatedAutomation:
    automation: Automation
    payload_url: str
    secret: str | None  # only in manual mode, and only in this answer


def payload_url(automation: Automation) -> str:
    """Where GitHub delivers: our webhook, naming the automation whose secret signs it (app
    mode: the app's one webhook)."""
    if automation.hook_mode == HookMode.APP:
        return app_webhook_url()
    return f"{settings.PUBLIC_URL}{reverse('github-webhook')}?automation={automation.pk}"


def check_post_options(*, image: int | None, targets) -> tuple[MediaImage | None, list[str]]:
    """The automation's image and targets, checked as a post would be (what does not depend
    on the release: the caption is checked when a release renders it)."""
    media = get_image(image) if image is not None else None
    targets = list(dict.fromkeys(targets or ["facebook"]))
    if "facebook" not in targets:
        raise PostInvalid("facebook is always a target.", field="targets")
    if "instagram" in targets:
        if media is None:
            raise PostInvalid("Instagram needs an image.", field="image")
        if not fits_instagram(media.width, media.height):
            raise ImageAspectRatio()
    return media, targets


def app_webhook_url() -> str:
    return f"{settings.PUBLIC_URL}{reverse('github-app-webhook')}"


def create_automation(*, user, repository: str, events: list[str], message_template: str,
                      link: str = "", enabled: bool = True, mode: str = HookMode.GITHUB,
                      installation: int | None = None, image: int | None = None,
                      targets=None) -> CreatedAutomation:
    """Save the automation, then register its hook (the row exists first, so GitHub's ping
    finds it); if GitHub refuses, the row is deleted again and the refusal raised. App mode
    registers nothing and asks no scope: the installation must cover the repository."""
    media, targets = check_post_options(image=image, targets=targets)
    bound = None
    if mode == HookMode.GITHUB:
        _require_hook_scope(user)
    elif mode == HookMode.APP:
        bound = _usable_installation(installation, repository)
    try:
        with transaction.atomic():
            automation = Automation.objects.create(
                repository=repository, events=list(events), message_template=message_template,
                link=link, enabled=enabled, hook_mode=mode, installation=bound,
                image=media, targets=targets,
                secret=secrets.token_urlsafe(SECRET_BYTES), created_by=user)
    except IntegrityError as exc:  # a racing create for the same repository won
        raise AutomationExists() from exc
    if mode == HookMode.GITHUB and enabled:
        try:
            _register_hook(automation, user)
        except Exception:
            automation.delete()
            raise
    logger.info("automation %s created by user %s (%s)", automation.pk, user.pk, mode)
    return CreatedAutomation(automation, payload_url(automation),
                             automation.secret if mode == HookMode.MANUAL else None)


def update_automation(*, automation: Automation, user, **changes) -> Automation:
    """Change the template, link, events or `enabled`; enabling registers the hook again,
    disabling deletes it (manual hooks stay at GitHub: their deliveries are answered
    `disabled`)."""
    was_enabled = automation.enabled
    if "image" in changes or "targets" in changes:
        automation.image, automation.targets = check_post_options(
            image=changes.get("image", automation.image_id),
            targets=changes.get("targets", automation.targets))
    for name in ("events", "message_template", "link", "enabled"):
        if name in changes:
            setattr(automation, name, changes[name])
    if automation.hook_mode == HookMode.APP and automation.enabled and not was_enabled:
        installation = automation.installation
        _usable_installation(installation.github_id if installation else None,
                             automation.repository)
    if "enabled" in changes:
        automation.disabled_reason = ""  # staff decided: no longer the app's doing
    if automation.hook_mode == HookMode.GITHUB and automation.enabled != was_enabled:
        if automation.enabled:
            _register_hook(automation, user)
        else:
            _unregister_hook(automation, user)
    automation.save()
    return automation


def delete_automation(*, automation: Automation, user) -> None:
    if automation.hook_mode == HookMode.GITHUB:
        _unregister_hook(automation, user)
    logger.info("automation %s deleted by user %s", automation.pk, user.pk)
    automation.delete()


def _usable_installation(github_id: int | None, repository: str) -> Installation:
    """A connected, live installation (not suspended or uninstalled) covering `repository`."""
    installation = Installation.objects.filter(
        github_id=github_id or 0, deleted_at__isnull=True, suspended=False).first()
    if installation is None or not installation.covers(repository):
        raise InstallationUnavailable(provider="github")
    return installation


def _require_hook_scope(user) -> None:
    granted = set(github_account_of(user).scope_list)
    if not granted & set(HOOK_SCOPES):
        raise PermissionMissing(
            "Registering a webhook needs your permission to manage repository hooks "
            "(admin:repo_hook): sign in with GitHub again to grant it, or use the manual mode.",
            provider="github", missing=(HOOK_SCOPES[0],))


def _register_hook(automation: Automation, user) -> None:
    _require_hook_scope(user)
    client = get_github_client()
    with _repository_refusals():
        hook = client.create_repo_hook(fresh_access_token(user), automation.repository,
                                       url=payload_url(automation), secret=automation.secret,
                                       events=HOOK_EVENTS)
    with transaction.atomic():
        Automation.objects.filter(pk=automation.pk).update(hook_id=hook.id)
    automation.hook_id = hook.id


def _unregister_hook(automation: Automation, user) -> None:
    if automation.hook_id is None:
        return
    _require_hook_scope(user)
    with _repository_refusals():
        get_github_client().delete_repo_hook(fresh_access_token(user), automation.repository,
                                             automation.hook_id)
    Automation.objects.filter(pk=automation.pk).update(hook_id=None)
    automation.hook_id = None


@contextmanager
def _repository_refusals() -> Iterator[None]:
    """GitHub's 404 (no such repository, or no admin rights: GitHub hides which) and its 403
    for this repository become one clear 400 (a missing scope stays permission_missing)."""
    try:
        yield
    except (NotFound, Forbidden) as exc:
        raise RepositoryNotAdministered(provider="github") from exc
