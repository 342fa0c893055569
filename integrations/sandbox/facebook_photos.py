"""Page photo posts: POST /graph/vNN.0/{page-id}/photos (PROVIDERS-APPS-MEDIA.md E1, E5).

The photo is fetched from `url` over real HTTP, as Facebook does, and must decode and be under
10 MB. Published → {"id": photo, "post_id": "<page>_<post>"}; unpublished → {"id"}; scheduled
with published=false + scheduled_publish_time (10 minutes to 30 days ahead). Test tooling only.
"""

from __future__ import annotations

from integrations.sandbox.data import FACEBOOK_PAGES
from integrations.sandbox.facebook_common import (
    authenticate,
    graph_error,
    graph_response,
    page_tasks,
)
from integrations.sandbox.http import Request, Response, Router
from integrations.sandbox.media_fetch import FetchFailed, FetchTooLarge, fetch_image
from integrations.sandbox.state import Post, random_string

GRAPH = r"/graph(?:/v(?P<version>\d+)\.0)?"
PHOTO_MAX_BYTES = 10 * 1024 * 1024
POST_PERMISSION = ("(#200) If posting to a page, requires both pages_read_engagement and "
                   "pages_manage_posts as an admin with sufficient administrative permission")
SCHEDULE_MIN_S, SCHEDULE_MAX_S = 10 * 60, 30 * 86400


def photos(request: Request) -> Response:
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    store, page_id = request.store, request.params["node"]
    if page_id not in FACEBOOK_PAGES:
        return graph_error(request, f"Unsupported post request. Object with ID '{page_id}' "
                           "does not exist", 100, subcode=33, error_type="GraphMethodException")
    allowed = (token.type == "PAGE" and token.page_id == page_id
               and {"pages_manage_posts", "pages_read_engagement"} <= set(token.scopes)
               and "CREATE_CONTENT" in page_tasks(token.user_key, page_id))
    if not allowed:
        return graph_error(request, POST_PERMISSION, 200, status=403)
    url = request.param("url")
    if not url:
        return graph_error(request, "(#324) Requires upload file", 324)
    published = (request.param("published") or "true").lower() not in ("false", "0")
    scheduled = None
    raw_time = request.param("scheduled_publish_time")
    if raw_time:
        if published or not raw_time.isdigit():
            return graph_error(request, "(#100) The specified scheduled publish time is invalid.",
                               100)
        scheduled = int(raw_time)
        if not SCHEDULE_MIN_S <= scheduled - store.now() <= SCHEDULE_MAX_S:
            return graph_error(request, "(#100) The specified scheduled publish time is invalid.",
                               100)
    try:
        image = fetch_image(url, max_bytes=PHOTO_MAX_BYTES)
    except FetchTooLarge:
        return graph_error(request, "(#100) The photo must be less than 10MB.", 100)
    except FetchFailed:
        return graph_error(request, "(#324) Requires upload file: the image URL could not be "
                           "fetched", 324)
    if image.format is None:
        return graph_error(request, "(#324) Requires upload file: the file is not an image", 324)
    photo_id = str(10**15 + store.next_id())
    caption = request.param("caption") or request.param("message")
    with store.lock:
        post = Post(id=f"{page_id}_{random_string(16, '0123456789')}", page_id=page_id,
                    message=caption, link=f"https://www.facebook.com/photo.php?fbid={photo_id}",
                    published=published, scheduled_publish_time=scheduled,
                    created_time=store.now(), token_user=token.user_key, photo_id=photo_id,
                    image_bytes=image.bytes)
        store.posts.append(post)
    body = {"id": photo_id}
    if published or scheduled:
        body["post_id"] = post.id
    return graph_response(request, body, page_id=page_id)


def register(router: Router) -> None:
    router.add("POST", GRAPH + r"/(?P<node>\d+)/photos", "facebook.photos", photos)
