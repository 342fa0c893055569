"""Facebook: the client (HTTP only, no Django), its values, Graph error mapping and parsing."""

from integrations.facebook.client import MAX_PAGES_FOLLOWED, FacebookClient
from integrations.facebook.types import (
    FacebookPage,
    FacebookToken,
    FacebookUser,
    PagePostResult,
    PagePostSummary,
    TokenInfo,
)

__all__ = ["MAX_PAGES_FOLLOWED", "FacebookClient", "FacebookPage", "FacebookToken",
           "FacebookUser", "PagePostResult", "PagePostSummary", "TokenInfo"]
