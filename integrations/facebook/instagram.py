"""Instagram Content Publishing through the linked Page (Facebook Login host, the Page token):
PROVIDERS-APPS-MEDIA.md F2-F4. Mixed into FacebookClient: the same Graph host, version,
`appsecret_proof` and error mapping. Plain Python, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from integrations.errors import BadProviderResponse
from integrations.facebook.parsing import page_path
from integrations.parsing import id_str, int_or_none, str_or_none

CONTAINER_STATUSES = frozenset({"EXPIRED", "ERROR", "FINISHED", "IN_PROGRESS", "PUBLISHED"})


@dataclass(frozen=True)
class InstagramAccount:
    id: str
    username: str | None


@dataclass(frozen=True)
class PublishingLimit:
    used: int
    total: int | None  # None when Graph did not say (then only `used` is known)
    window_s: int

    @property
    def full(self) -> bool:
        return self.total is not None and self.used >= self.total


@dataclass(frozen=True)
class ContainerStatus:
    status_code: str  # one of CONTAINER_STATUSES
    status: str | None  # Graph's free-text detail (the reason of an ERROR)


class InstagramMixin:
    """Needs `_graph(method, path, params=, data=, token=)` and `provider` (FacebookClient)."""

    def get_instagram_account(self, page_id: str, token: str) -> InstagramAccount | None:
        """GET /{page-id}?fields=instagram_business_account{id,username}; None when the Page
        has no professional account linked (the key is absent)."""
        body = self._graph("GET", page_path(page_id),
                           params={"fields": "instagram_business_account{id,username}"},
                           token=token)
        account = body.get("instagram_business_account") if isinstance(body, dict) else None
        if not isinstance(account, dict):
            return None
        account_id = id_str(account.get("id"))
        if account_id is None:
            raise BadProviderResponse(provider=self.provider)
        return InstagramAccount(id=account_id, username=str_or_none(account.get("username")))

    def get_publishing_limit(self, ig_user_id: str, token: str, *,
                             since: datetime) -> PublishingLimit:
        """GET /{ig-user-id}/content_publishing_limit: the quota is read, never hard-coded."""
        body = self._graph("GET", f"{page_path(ig_user_id)}/content_publishing_limit", params={
            "fields": "quota_usage,config", "since": str(int(since.timestamp()))}, token=token)
        data = body.get("data") if isinstance(body, dict) else None
        entry = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None
        if entry is None or int_or_none(entry.get("quota_usage")) is None:
            raise BadProviderResponse(provider=self.provider)
        config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        return PublishingLimit(used=int_or_none(entry["quota_usage"]) or 0,
                               total=int_or_none(config.get("quota_total")),
                               window_s=int_or_none(config.get("quota_duration")) or 86400)

    def create_image_container(self, ig_user_id: str, token: str, *, image_url: str,
                               caption: str) -> str:
        """POST /{ig-user-id}/media: a container (invisible until published) for one image."""
        body = self._graph("POST", f"{page_path(ig_user_id)}/media",
                           data={"image_url": image_url, "caption": caption}, token=token)
        container_id = id_str(body.get("id") if isinstance(body, dict) else None)
        if container_id is None:
            raise BadProviderResponse(provider=self.provider)
        return container_id

    def get_container_status(self, container_id: str, token: str) -> ContainerStatus:
        """GET /{container-id}?fields=status_code,status (read-only: safe to repeat)."""
        body = self._graph("GET", page_path(container_id),
                           params={"fields": "status_code,status"}, token=token)
        code = body.get("status_code") if isinstance(body, dict) else None
        if code not in CONTAINER_STATUSES:
            raise BadProviderResponse(provider=self.provider)
        return ContainerStatus(status_code=code, status=str_or_none(body.get("status")))

    def publish_container(self, ig_user_id: str, token: str, container_id: str) -> str:
        """POST /{ig-user-id}/media_publish. Never retried blindly: after an unknown outcome
        the container's status says whether it was published."""
        body = self._graph("POST", f"{page_path(ig_user_id)}/media_publish",
                           data={"creation_id": container_id}, token=token)
        media_id = id_str(body.get("id") if isinstance(body, dict) else None)
        if media_id is None:
            raise BadProviderResponse(provider=self.provider)
        return media_id

    def get_media_permalink(self, media_id: str, token: str) -> str | None:
        body = self._graph("GET", page_path(media_id), params={"fields": "permalink"},
                           token=token)
        return str_or_none(body.get("permalink")) if isinstance(body, dict) else None
