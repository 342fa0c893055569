"""GitHub App installations: the install flow, connecting one, and keeping it in sync.

Never trust a setup URL's `installation_id` (PROVIDERS-APPS-MEDIA D4, EXAMPLES-ROUND3 §3): it
is accepted only when our single-use, session-bound `state` comes back with it AND GitHub shows
the installation as the staff member's: listed by `GET /user/installations` with their own
token, or (an OAuth App token may not list installations) read with the app's JWT and on their
own account. The account and repositories stored come from GitHub, never from the URL.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from automations import selectors
from automations.errors import InstallationNotYours, InstallationRequested
from automations.models import Automation, DisabledReason, Installation
from integrations.config import (
    get_github_app_client,
    get_installation_tokens,
    github_app_configured,
)
from integrations.errors import TokenInvalid
from integrations.flows import consume_flow, start_flow
from integrations.github.errors import Forbidden, InstallationNotFound, NotFound
from integrations.github.types import AppInstallation
from integrations.models import FlowPurpose
from integrations.services.github import fresh_access_token, github_account_of

logger = logging.getLogger(__name__)

SETUP_ACTIONS = ("install", "update")


def start_app_install(*, user, binding: str) -> str:
    """A fresh single-use state bound to this session and user; GitHub's install page URL."""
    client = get_github_app_client()
    flow = start_flow(purpose=FlowPurpose.GITHUB_APP_INSTALL, redirect_uri="", binding=binding,
                      user=user)
    return client.install_url(flow.state)


def connect_installation(*, user, binding: str | None, installation_id: int,
                         setup_action: str, state: str) -> Installation:
    """Consume the state, prove the installation is the staff member's, then store what
    GitHub says about it. Nothing is stored on any refusal."""
    get_github_app_client()  # app mode off: refused before the state is spent
    consume_flow(purpose=FlowPurpose.GITHUB_APP_INSTALL, state=state, binding=binding,
                 user=user)
    if setup_action not in SETUP_ACTIONS:
        raise InstallationRequested()
    found = _verified_installation(user, installation_id)
    repositories = read_repositories(found.id)
    with transaction.atomic():
        installation, _ = Installation.objects.update_or_create(
            github_id=found.id, defaults={
                **_described(found), "repositories": list(repositories),
                "deleted_at": None, "connected_by": user, "synced_at": timezone.now()})
        _restore_automations(installation)
    logger.info("github app installation %s (%s) connected by user %s", found.id,
                found.account_login, user.pk)
    return installation


def _verified_installation(user, installation_id: int) -> AppInstallation:
    client = get_github_app_client()
    account = github_account_of(user)
    try:
        visible = client.user_installations(fresh_access_token(user))
    except (Forbidden, NotFound):
        visible = None  # an OAuth App token cannot list installations: ask with the JWT
    if visible is not None:
        match = next((i for i in visible if i.id == installation_id), None)
        if match is None:
            raise InstallationNotYours()
        return client.get_installation(installation_id)  # the app's own view of it
    try:
        found = client.get_installation(installation_id)
    except InstallationNotFound:
        raise InstallationNotYours() from None  # never say whether someone else's exists
    if found.account_id != account.github_id:
        raise InstallationNotYours()
    return found


def read_repositories(installation_id: int) -> tuple[str, ...]:
    """The installation's repositories, read with its (cached) token. A 401 means the cached
    token died (revoked, or a fresh one not yet replicated: octokit's lesson): one retry with
    a new token."""
    client, tokens = get_github_app_client(), get_installation_tokens()
    try:
        return client.installation_repositories(tokens.token(installation_id))
    except TokenInvalid:
        tokens.forget(installation_id)
        return client.installation_repositories(tokens.token(installation_id))


def _described(found: AppInstallation) -> dict:
    return {"account_login": found.account_login, "account_id": found.account_id,
            "account_type": found.account_type,
            "repository_selection": found.repository_selection, "suspended": found.suspended}


def sync_installation(installation_id: int) -> Installation | None:
    """Read the installation and its repositories again (a task: needs its token)."""
    installation = selectors.live_installation(installation_id)
    if installation is None:
        return None
    client = get_github_app_client()
    try:
        found = client.get_installation(installation_id)
    except InstallationNotFound:  # uninstalled while we missed the event
        installation_deleted(installation)
        return None
    repositories = () if found.suspended else read_repositories(installation_id)
    Installation.objects.filter(pk=installation.pk).update(
        **_described(found), **({} if found.suspended else {"repositories": list(repositories)}),
        synced_at=timezone.now())
    installation.refresh_from_db()
    return installation


# --- What GitHub's installation events change (called by the app webhook) -----------------


def installation_deleted(installation: Installation) -> int:
    """Uninstalled: forget its token, disable its automations (rows kept, reason given)."""
    _forget_token(installation)
    with transaction.atomic():
        Installation.objects.filter(pk=installation.pk).update(deleted_at=timezone.now())
        return _disable(installation.automations.all(), DisabledReason.INSTALLATION_DELETED)


def installation_suspended(installation: Installation) -> int:
    _forget_token(installation)
    with transaction.atomic():
        Installation.objects.filter(pk=installation.pk).update(suspended=True)
        return _disable(installation.automations.all(), DisabledReason.INSTALLATION_SUSPENDED)


def installation_unsuspended(installation: Installation) -> int:
    """Usable again: the automations it disabled come back."""
    with transaction.atomic():
        Installation.objects.filter(pk=installation.pk).update(suspended=False)
        installation.suspended = False
        return _restore_automations(installation)


def repositories_removed(installation: Installation, repositories: list[str]) -> int:
    gone = {name.lower() for name in repositories}
    with transaction.atomic():
        locked = Installation.objects.select_for_update().get(pk=installation.pk)
        locked.repositories = [n for n in locked.repositories if n.lower() not in gone]
        locked.save(update_fields=["repositories"])
        hit = [a.pk for a in locked.automations.all() if a.repository.lower() in gone]
        return _disable(Automation.objects.filter(pk__in=hit),
                        DisabledReason.REPOSITORY_REMOVED)


def repositories_added(installation: Installation, repositories: list[str]) -> None:
    with transaction.atomic():
        locked = Installation.objects.select_for_update().get(pk=installation.pk)
        known = {n.lower() for n in locked.repositories}
        locked.repositories += [n for n in repositories if n.lower() not in known]
        locked.save(update_fields=["repositories"])
        _restore_automations(locked)


def _forget_token(installation: Installation) -> None:
    if github_app_configured():  # app mode off: no token was ever minted
        get_installation_tokens().forget(installation.github_id)


def _disable(automations, reason: str) -> int:
    return automations.filter(enabled=True).update(enabled=False, disabled_reason=reason)


def _restore_automations(installation: Installation) -> int:
    """Automations the app disabled come back when their cause is gone (unsuspended,
    reinstalled, repository added back); ones staff disabled stay off."""
    if installation.suspended or installation.deleted_at is not None:
        return 0
    restored = 0
    for automation in installation.automations.exclude(disabled_reason=""):
        if installation.covers(automation.repository):
            restored += Automation.objects.filter(pk=automation.pk).update(
                enabled=True, disabled_reason="")
    return restored
