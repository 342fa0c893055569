"""Instagram Content Publishing through a Page (PROVIDERS-APPS-MEDIA.md F2-F5).

POST /{ig-user-id}/media fetches `image_url` over real HTTP and refuses what Instagram refuses
(not JPEG, over 8 MiB, aspect ratio outside 4:5..1.91:1, unreachable URL, caption rules) with
F4's codes; a container stays IN_PROGRESS for `instagram_container_in_progress_s`, then is
FINISHED; media_publish publishes a FINISHED container once; content_publishing_limit counts
what was published in the last 24 hours. Faults (POST /_sandbox/faults): `container_error` /
`container_expired` on facebook.ig_media, `quota_exhausted` on facebook.ig_publishing_limit and
facebook.ig_media_publish, and the generic `timeout` (publish after answering late). Test tooling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from integrations.sandbox.data import FACEBOOK_PAGES, INSTAGRAM_ACCOUNTS, INSTAGRAM_PAGES
from integrations.sandbox.facebook_common import (
    authenticate,
    graph_error,
    graph_response,
    page_tasks,
)
from integrations.sandbox.http import Request, Response, Router
from integrations.sandbox.media_fetch import FetchFailed, FetchTooLarge, fetch_image
from integrations.sandbox.state import FacebookToken, random_string

GRAPH = r"/graph(?:/v(?P<version>\d+)\.0)?"
IMAGE_MAX_BYTES = 8 * 1024 * 1024
CONTAINER_TTL_S = 24 * 3600
QUOTA_WINDOW_S = 24 * 3600
CAPTION_MAX, HASHTAGS_MAX, MENTIONS_MAX = 2200, 30, 20
PUBLISH_SCOPES = {"instagram_basic", "instagram_content_publish"}
CONTAINER_ID, MEDIA_ID = r"(?P<node>1789\d{13})", r"(?P<node>1790\d{13})"


@dataclass
class Container:
    id: str
    ig_user_id: str
    image_url: str
    caption: str
    created_time: float
    ready_time: float
    forced: str | None = None  # ERROR or EXPIRED (a fault)
    published_media_id: str | None = None


@dataclass
class Media:
    id: str
    ig_user_id: str
    container_id: str
    caption: str
    permalink: str
    timestamp: float


def ig_error(request: Request, message: str, code: int, subcode: int | None = None, *,
             title: str = "", user_msg: str = "", transient: bool = False) -> Response:
    return graph_error(request, message, code, subcode=subcode, extra={
        "is_transient": transient, "error_user_title": title or message,
        "error_user_msg": user_msg or message})


def _account_token(request: Request, ig_user_id: str) -> FacebookToken | Response:
    """A Page (or user) token of the Page this IG account belongs to, with both scopes."""
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    page_id = INSTAGRAM_PAGES.get(ig_user_id)
    if page_id is None:
        return graph_error(request, f"Unsupported request. Object with ID '{ig_user_id}' does "
                           "not exist, cannot be loaded due to missing permissions, or does not "
                           "support this operation", 100, subcode=33,
                           error_type="GraphMethodException")
    tasks = page_tasks(token.user_key, page_id)
    if (token.type == "PAGE" and token.page_id != page_id) or not (
            {"CREATE_CONTENT", "MANAGE"} & set(tasks)) or not set(token.scopes) >= PUBLISH_SCOPES:
        return graph_error(request, "(#10) Application does not have permission for this "
                           "action (instagram_basic, instagram_content_publish)", 10, status=403)
    return token


def container_status(store, container: Container) -> str:
    if container.published_media_id:
        return "PUBLISHED"
    if container.forced:
        return container.forced
    if store.now() - container.created_time > CONTAINER_TTL_S:
        return "EXPIRED"
    return "FINISHED" if store.now() >= container.ready_time else "IN_PROGRESS"


def _caption_error(request: Request, caption: str) -> Response | None:
    if len(caption) > CAPTION_MAX or len(re.findall(r"#\w", caption)) > HASHTAGS_MAX:
        return ig_error(request, "The caption is too long.", 36004, 2207010,
                        title="Caption too long")
    if len(re.findall(r"@\w", caption)) > MENTIONS_MAX:
        return ig_error(request, "Too many tags.", 100, 2207040, title="Too many tags")
    return None


def create_media(request: Request) -> Response:
    ig_user_id = request.params["node"]
    token = _account_token(request, ig_user_id)
    if isinstance(token, Response):
        return token
    store = request.store
    image_url, caption = request.param("image_url"), request.param("caption") or ""
    if not image_url:
        return ig_error(request, "(#100) The parameter image_url or video_url is required", 100)
    refused = _caption_error(request, caption)
    if refused:
        return refused
    try:
        image = fetch_image(image_url, max_bytes=IMAGE_MAX_BYTES)
    except FetchTooLarge:
        return ig_error(request, "The image size is too large.", 36000, 2207004,
                        title="Image size too large")
    except FetchFailed:
        return ig_error(request, f"The media could not be fetched from this uri: {image_url}",
                        9004, 2207052, title="Media download has failed")
    if image.format != "JPEG":
        return ig_error(request, "The image format is not supported.", 36001, 2207005,
                        title="Unsupported image format")
    if not 0.8 <= image.width / max(1, image.height) <= 1.91:
        return ig_error(request, "The aspect ratio is not supported.", 36003, 2207009,
                        title="Invalid aspect ratio")
    fault = request.fault.kind if request.fault else None
    now = store.now()
    container = Container(
        id="1789" + random_string(13, "0123456789"), ig_user_id=ig_user_id,
        image_url=image_url, caption=caption, created_time=now,
        ready_time=now + store.config.instagram_container_in_progress_s,
        forced={"container_error": "ERROR", "container_expired": "EXPIRED"}.get(fault or ""))
    with store.lock:
        store.instagram_containers[container.id] = container
    return graph_response(request, {"id": container.id})


def read_container(request: Request) -> Response:
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    store = request.store
    container = store.instagram_containers.get(request.params["node"])
    if container is None:
        return graph_error(request, "Unsupported get request.", 100, subcode=33,
                           error_type="GraphMethodException")
    code = container_status(store, container)
    detail = {"ERROR": "Error: media upload failed (2207001)",
              "EXPIRED": "Expired: not published within 24 hours"}.get(code, code)
    values = {"id": container.id, "status_code": code, "status": detail}
    fields = [f for f in (request.param("fields") or "id,status_code").split(",") if f]
    return graph_response(request, {k: values[k] for k in fields if k in values})


def _published_in_window(store, ig_user_id: str) -> int:
    since = store.now() - QUOTA_WINDOW_S
    return sum(1 for m in store.instagram_media
               if m.ig_user_id == ig_user_id and m.timestamp >= since)


def publish(request: Request) -> Response:
    ig_user_id = request.params["node"]
    token = _account_token(request, ig_user_id)
    if isinstance(token, Response):
        return token
    store = request.store
    with store.lock:
        container = store.instagram_containers.get(request.param("creation_id") or "")
        if container is None or container.ig_user_id != ig_user_id:
            return ig_error(request, "The media with the given id cannot be found.", 24,
                            2207006, title="Media not found")
        code = container_status(store, container)
        if code == "PUBLISHED":
            return ig_error(request, "(#100) This media has already been published.", 100)
        if code == "EXPIRED":
            return ig_error(request, "The media has expired.", -2, 2207020,
                            title="Media expired")
        if code == "ERROR":
            return ig_error(request, "Create media fail, please try to re-create media.", -1,
                            2207032, title="Create media failed")
        if code == "IN_PROGRESS":
            return ig_error(request, "The media is not ready for publishing, please wait for a "
                            "moment.", 9007, 2207027, title="Media not ready")
        full = _published_in_window(store, ig_user_id) >= store.config.instagram_quota_total
        if full or (request.fault and request.fault.kind == "quota_exhausted"):
            return ig_error(request, "You reached maximum number of posts that is allowed to be "
                            "published by Content Publishing API.", 9, 2207042,
                            title="Publishing limit reached")
        media = Media(id="1790" + random_string(13, "0123456789"), ig_user_id=ig_user_id,
                      container_id=container.id, caption=container.caption,
                      permalink=f"https://www.instagram.com/p/{random_string(11)}/",
                      timestamp=store.now())
        container.published_media_id = media.id
        store.instagram_media.append(media)
    return graph_response(request, {"id": media.id})


def read_media(request: Request) -> Response:
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    media_id = request.params["node"]
    media = next((m for m in request.store.instagram_media if m.id == media_id), None)
    if media is None:
        return graph_error(request, "Unsupported get request.", 100, subcode=33,
                           error_type="GraphMethodException")
    values = {"id": media.id, "permalink": media.permalink, "caption": media.caption,
              "media_type": "IMAGE", "media_product_type": "FEED"}
    fields = [f for f in (request.param("fields") or "id").split(",") if f]
    return graph_response(request, {k: values[k] for k in fields if k in values})


def publishing_limit(request: Request) -> Response:
    ig_user_id = request.params["node"]
    token = _account_token(request, ig_user_id)
    if isinstance(token, Response):
        return token
    store = request.store
    total = store.config.instagram_quota_total
    used = _published_in_window(store, ig_user_id)
    if request.fault and request.fault.kind == "quota_exhausted":
        used = total
    entry: dict[str, Any] = {"quota_usage": used}
    if "config" in (request.param("fields") or ""):
        entry["config"] = {"quota_total": total, "quota_duration": QUOTA_WINDOW_S}
    return graph_response(request, {"data": [entry]})


def page_instagram_account(page_id: str) -> dict[str, str] | None:
    """The `instagram_business_account` of a Page node, when it has one."""
    if page_id not in FACEBOOK_PAGES or page_id not in INSTAGRAM_ACCOUNTS:
        return None
    ig_user_id, username = INSTAGRAM_ACCOUNTS[page_id]
    return {"id": ig_user_id, "username": username}


def media_summary(media: Media) -> dict[str, Any]:
    return vars(media).copy()


def register(router: Router) -> None:
    router.add("POST", GRAPH + r"/(?P<node>\d+)/media", "facebook.ig_media", create_media)
    router.add("POST", GRAPH + r"/(?P<node>\d+)/media_publish", "facebook.ig_media_publish",
               publish)
    router.add("GET", GRAPH + r"/(?P<node>\d+)/content_publishing_limit",
               "facebook.ig_publishing_limit", publishing_limit)
    router.add("GET", GRAPH + "/" + CONTAINER_ID, "facebook.ig_container", read_container)
    router.add("GET", GRAPH + "/" + MEDIA_ID, "facebook.ig_media_read", read_media)
