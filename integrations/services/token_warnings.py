"""Expiring and invalid tokens, found before they stop the Page bot or a staff sign-in.

`link_warnings` reads a Facebook link state (API, admin, SPA banner); `check_tokens` (the daily
task and `manage.py check_tokens`) also reads staff GitHub refresh tokens and emails the Page
managers and superusers about each warning once per threshold, recording what it sent in
`TokenWarning`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from integrations.models import GitHubAccount, TokenWarning
from integrations.models.facebook import HOLDS_PAGE_PERMISSION, with_page_manager_flag
from integrations.redirects import spa_url
from integrations.services.facebook.link_state import facebook_link_state
from integrations.services.facebook.page_link import read_page_link

logger = logging.getLogger(__name__)

TOKEN_EXPIRING = "token_expiring"  # noqa: S105  (warning codes, not secrets)
DATA_ACCESS_EXPIRING = "data_access_expiring"
TOKEN_INVALID = "token_invalid"  # noqa: S105
LAST_CALL_DAYS = 1  # a second, final warning the day before
_TOKEN_NAMES = {"user_token": "Facebook login", "page_token": "Page token"}


@dataclass(frozen=True)
class ExpiryWarning:
    code: str
    expires_at: datetime | None
    message: str
    token: str  # which token: "user_token", "page_token", "github:<id>:refresh_token:<hash>"
    threshold: str = ""  # "7d", "1d" or "invalid": each warns once

    def as_dict(self) -> dict:
        return {"code": self.code, "expires_at": self.expires_at, "message": self.message}


def _thresholds() -> tuple[int, ...]:
    return tuple(sorted({settings.TOKEN_EXPIRY_WARNING_DAYS, LAST_CALL_DAYS}))


def _crossed(expires_at: datetime | None, now: datetime) -> str | None:
    """The smallest threshold `expires_at` is within ("7d", "1d"), or None."""
    if expires_at is None:
        return None
    for days in _thresholds():
        if expires_at - now <= timedelta(days=days):
            return f"{days}d"
    return None


def _when(value: datetime) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def link_warnings(state, *, now: datetime | None = None) -> list[ExpiryWarning]:
    """Warnings about the linked Facebook tokens, from a `facebook_link_state()`."""
    now = now or timezone.now()
    if not state.linked:
        return []
    warnings = []
    for kind, check in (("user_token", state.token), ("page_token", state.page_token)):
        if check is None or check.valid is None:
            continue  # Facebook could not be asked: no news is not bad news
        name = _TOKEN_NAMES[kind]
        if check.valid is False:
            warnings.append(ExpiryWarning(TOKEN_INVALID, check.expires_at, (
                f"Facebook no longer accepts the {name} of the Page link: reconnect with "
                "Facebook, or posts to the Page fail."), kind, "invalid"))
            continue
        threshold = _crossed(check.expires_at, now)
        if threshold:
            warnings.append(ExpiryWarning(TOKEN_EXPIRING, check.expires_at, (
                f"The {name} of the Page link expires on {_when(check.expires_at)}: reconnect "
                "with Facebook before then, or posts to the Page stop."), kind, threshold))
        threshold = _crossed(check.data_access_expires_at, now)
        if threshold and kind == "user_token":
            warnings.append(ExpiryWarning(DATA_ACCESS_EXPIRING, check.data_access_expires_at, (
                "Facebook data access for the Page link expires on "
                f"{_when(check.data_access_expires_at)}: reconnect with Facebook to renew it."),
                kind, threshold))
    return warnings


def github_warnings(*, now: datetime | None = None) -> list[ExpiryWarning]:
    """Staff whose GitHub refresh token (GitHub Apps) expires soon or has expired."""
    now = now or timezone.now()
    warnings = []
    accounts = GitHubAccount.objects.filter(
        user__is_staff=True, user__is_active=True, refresh_token_expires_at__isnull=False
    ).select_related("user")
    for account in accounts:
        expires_at = account.refresh_token_expires_at
        # A refreshed token is a new subject: it warns afresh.
        token = f"github:{account.github_id}:refresh_token:{_short_hash(account.refresh_token)}"
        if expires_at <= now:
            warnings.append(ExpiryWarning(TOKEN_INVALID, expires_at, (
                f"The GitHub refresh token of {account.login} expired on {_when(expires_at)}: "
                "sign in with GitHub again."), token, "invalid"))
        elif threshold := _crossed(expires_at, now):
            warnings.append(ExpiryWarning(TOKEN_EXPIRING, expires_at, (
                f"The GitHub refresh token of {account.login} expires on {_when(expires_at)}: "
                "sign in with GitHub again before then."), token, threshold))
    return warnings


def check_tokens(*, now: datetime | None = None) -> list[ExpiryWarning]:
    """Read every token, email staff the warnings not sent before; answers the new ones."""
    now = now or timezone.now()
    warnings = link_warnings(facebook_link_state(), now=now) + github_warnings(now=now)
    subjects = _subjects()
    with transaction.atomic():
        new = [w for w in warnings if _record(w, subjects.get(w.token, w.token))]
        if new:
            _email_staff(new)
    logger.info("token check: %d warnings, %d new", len(warnings), len(new))
    return new


def _subjects() -> dict[str, str]:
    """Facebook warnings are remembered per token (a short hash, never the token): a new
    token after reconnecting warns afresh."""
    link = read_page_link()
    subjects = {}
    for kind in ("user_token", "page_token"):
        token = getattr(link, kind)
        if token:
            subjects[kind] = f"facebook:{kind}:{_short_hash(token)}"
    return subjects


def _short_hash(token: str | None) -> str:
    """Names a token in the warnings table without storing it."""
    return hashlib.sha256((token or "").encode()).hexdigest()[:16]


def _record(warning: ExpiryWarning, subject: str) -> bool:
    """True if this threshold of this token had not been warned about yet."""
    try:
        with transaction.atomic():
            TokenWarning.objects.create(subject=subject, code=warning.code,
                                        threshold=warning.threshold,
                                        expires_at=warning.expires_at, message=warning.message)
    except IntegrityError:
        return False
    return True


def warning_recipients() -> list[str]:
    """Who can act on a warning: the Page managers (active staff holding the permission, as
    `can_manage_facebook_page` decides) and superusers; not every staff member."""
    users = with_page_manager_flag(get_user_model().objects.filter(is_active=True)
                                   .exclude(email=""))
    managers = Q(is_superuser=True) | Q(is_staff=True, **{HOLDS_PAGE_PERMISSION: True})
    return sorted(set(users.filter(managers).values_list("email", flat=True)))


def _email_staff(warnings: list[ExpiryWarning]) -> None:
    recipients = warning_recipients()
    if not recipients:
        logger.warning("token check: %d new warnings but no Page manager or superuser has an "
                       "email address", len(warnings))
        return
    body = "\n\n".join(w.message for w in warnings)
    body += f"\n\nReconnect on {spa_url()}/facebook (Facebook) or sign in again."
    subject = "OAuth Bridge: " + ("a token needs attention" if len(warnings) == 1
                                  else f"{len(warnings)} tokens need attention")
    send_mail(subject, body, None, recipients)
