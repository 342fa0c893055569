"""Lenient readers for provider JSON, shared by the clients. Plain Python, no Django.

Providers send numbers as strings, strings as numbers, and nulls where docs promise values: each
helper answers None (or empty) for anything it cannot read instead of raising.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def str_or_none(value: Any) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def int_or_none(value: Any) -> int | None:
    """An int or an int-like string ("28800"), else None; booleans are not numbers here."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def str_tuple(value: Any) -> tuple[str, ...]:
    """The strings of a JSON list, in order; anything but a list gives ()."""
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def id_str(value: Any) -> str | None:
    """An id as a string: Graph ids are strings, but the docs sometimes show numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return str_or_none(value)


def iso_datetime(value: Any) -> datetime | None:
    """An ISO 8601 time ("2011-01-26T19:01:12Z") as an aware datetime (UTC if it names no zone)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def unix_datetime(value: Any) -> datetime | None:
    """Unix seconds as an aware datetime; 0, negative or unreadable gives None."""
    seconds = int_or_none(value)
    if not seconds or seconds <= 0:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)
