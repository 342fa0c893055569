"""Lenient readers of Graph bodies into the client's values; a missing id is a bad response."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from integrations.errors import BadProviderResponse
from integrations.facebook.types import FacebookPage, FacebookToken, PagePostSummary, TokenInfo
from integrations.parsing import id_str, int_or_none, str_or_none, str_tuple, unix_datetime
from integrations.usage import APP_BUDGET, ProviderUsage

PROVIDER = "facebook"
_PAGE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def clean(value: Any, limit: int = 300) -> str | None:
    """Provider text for our logs: printable, bounded."""
    if not isinstance(value, str):
        return None
    return "".join(c if c.isprintable() else "?" for c in value[:limit])


def page_path(page_id: str) -> str:
    if not isinstance(page_id, str) or not _PAGE_ID.fullmatch(page_id):
        raise ValueError("page_id must be a Graph object id")
    return quote(page_id, safe="")


def parse_token(body: Any, now: datetime) -> FacebookToken:
    access_token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(access_token, str) or not access_token:
        raise BadProviderResponse("Facebook sent no access token.", provider=PROVIDER)
    expires_in = int_or_none(body.get("expires_in"))
    return FacebookToken(
        access_token=access_token,
        token_type=str_or_none(body.get("token_type")) or "bearer",
        expires_at=now + timedelta(seconds=expires_in)
        if expires_in is not None and expires_in > 0 else None,
    )


def parse_token_info(data: Mapping[str, Any], *, app_id: str) -> TokenInfo:
    """debug_token's `data`; a token issued to another app than `app_id` is not valid."""
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    token_app_id = id_str(data.get("app_id"))
    user_id = id_str(data.get("user_id"))
    token_type = str_or_none(data.get("type"))
    is_valid = data.get("is_valid") is True
    error_message = clean(error.get("message"))
    if is_valid and token_app_id != app_id:
        # Meta: never assume a token was issued to you.
        is_valid, error_message = False, "The token was issued to another app."
    if is_valid and token_type in ("USER", "PAGE") and user_id is None:
        raise BadProviderResponse("Facebook sent a token without a user.", provider=PROVIDER)
    return TokenInfo(
        is_valid=is_valid,
        type=token_type,
        app_id=token_app_id,
        user_id=user_id,
        profile_id=id_str(data.get("profile_id")),
        expires_at=unix_datetime(data.get("expires_at")),  # 0 means never
        data_access_expires_at=unix_datetime(data.get("data_access_expires_at")),
        scopes=str_tuple(data.get("scopes")),
        error_code=int_or_none(error.get("code")),
        error_subcode=int_or_none(error.get("subcode", error.get("error_subcode"))),
        error_message=error_message,
    )


def parse_page(item: Any) -> FacebookPage:
    page_id = id_str(item.get("id")) if isinstance(item, dict) else None
    if page_id is None:
        raise BadProviderResponse("Facebook sent a Page without an id.", provider=PROVIDER)
    return FacebookPage(
        id=page_id,
        name=str_or_none(item.get("name")) or "",
        category=str_or_none(item.get("category")),
        tasks=str_tuple(item.get("tasks")),
        access_token=str_or_none(item.get("access_token")),
    )


def parse_post_summary(item: Any) -> PagePostSummary:
    post_id = id_str(item.get("id")) if isinstance(item, dict) else None
    if post_id is None:
        raise BadProviderResponse("Facebook sent a post without an id.", provider="facebook")
    created = str_or_none(item.get("created_time"))
    try:  # Graph's "2026-11-29T20:00:00+0000"
        created_time = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z") if created else None
    except ValueError:
        created_time = None
    return PagePostSummary(id=post_id, message=str_or_none(item.get("message")),
                           link=str_or_none(item.get("link")), created_time=created_time,
                           attachment_urls=_attachment_urls(item.get("attachments")))


def _attachment_urls(attachments: Any) -> tuple[str, ...]:
    """The unshimmed URLs of a post's `attachments` (`{"data": [{"unshimmed_url": …}, …]}`),
    nested `subattachments` included; anything malformed is skipped, not an error."""
    items = attachments.get("data") if isinstance(attachments, dict) else None
    urls: list[str] = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        if url := str_or_none(item.get("unshimmed_url")):
            urls.append(url)
        urls.extend(_attachment_urls(item.get("subattachments")))
    return tuple(urls)


def next_cursor(paging: Any) -> str | None:
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    return str_or_none(cursors.get("after")) if isinstance(cursors, dict) else None


USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage")
USAGE_FIELDS = ("call_count", "total_time", "total_cputime")
USAGE_LOOK_AGAIN = timedelta(seconds=60)  # rolling windows without a stated regain time


def graph_usage(headers: Mapping[str, str], now: datetime) -> ProviderUsage | None:
    """The app's Graph budget from `X-App-Usage`, `X-Page-Usage` and
    `X-Business-Use-Case-Usage` (B13; percentages, throttled at 100): the highest share any of
    them reports, and `estimated_time_to_regain_access` (minutes) when given. None without
    usage headers."""
    percents: list[float] = []
    regain_min = 0
    for name in USAGE_HEADERS:
        percents += _percents(_json_header(headers.get(name)))
    buc = _json_header(headers.get("X-Business-Use-Case-Usage"))
    for entries in buc.values() if isinstance(buc, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            percents += _percents(entry)
            if isinstance(entry, dict):
                regain_min = max(regain_min,
                                 int_or_none(entry.get("estimated_time_to_regain_access")) or 0)
    if not percents:
        return None
    wait = timedelta(minutes=regain_min) if regain_min > 0 else USAGE_LOOK_AGAIN
    return ProviderUsage(provider=PROVIDER, key=APP_BUDGET,
                         used_percent=min(100.0, max(percents)), resets_at=now + wait)


def _json_header(value: Any) -> Any:
    if not isinstance(value, str) or len(value) > 10_000:
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def _percents(data: Any) -> list[float]:
    if not isinstance(data, dict):
        return []
    values = (data.get(name) for name in USAGE_FIELDS)
    return [float(v) for v in values
            if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0]
