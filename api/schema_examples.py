"""OpenAPI examples of every view, kept here so the views read as HTTP.

Values only: request and response bodies as the API really sends them (the schema tests check
the documented shapes).
"""

from drf_spectacular.utils import OpenApiExample

STATE = "x" * 43

# --- GitHub sign-in -------------------------------------------------------------------------

GITHUB_AUTHORIZE = [
    OpenApiExample("Browser (SPA)", value={}, request_only=True),
    OpenApiExample("Mobile app", request_only=True, value={
        "client": "app", "redirect_uri": "com.example.app:/oauth2redirect/github",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}),
]
GITHUB_CALLBACK = [
    OpenApiExample("Success redirect", request_only=True,
                   value={"code": "a1b2c3d4e5", "state": STATE}),
    OpenApiExample("App", request_only=True, value={
        "code": "a1b2c3d4e5", "state": STATE,
        "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}),
    OpenApiExample("Cancelled at GitHub", request_only=True, value={
        "error": "access_denied", "state": STATE,
        "error_description": "The user has denied your application access."}),
]

# --- The signed-in user ---------------------------------------------------------------------

ME = {
    "id": 7, "username": "github-583231", "email": "octocat@github.com", "is_staff": False,
    "date_joined": "2026-11-28T09:00:00Z",
    "github": {
        "id": 583231, "login": "octocat", "name": "The Octocat",
        "avatar_url": "https://avatars.githubusercontent.com/u/583231",
        "html_url": "https://github.com/octocat", "email": "octocat@github.com",
        "company": "@github", "location": "San Francisco", "bio": "",
        "scopes": ["read:user", "user:email"], "token_expires_at": None,
        "last_login_at": "2026-11-28T09:00:00Z",
    },
}
ME_EXAMPLES = [OpenApiExample("Signed in", value=ME, response_only=True)]
GITHUB_TOKEN = [OpenApiExample("Valid", response_only=True, value={
    "valid": True, "scopes": ["read:user", "user:email"],
    "expires_at": None, "checked_at": "2026-11-28T09:00:00Z",
    "budget": {"remaining_percent": 99.9, "used_percent": 0.1, "remaining": 4995,
               "limit": 5000, "resets_at": "2026-11-28T09:45:00Z"}})]
GITHUB_REPOS = [OpenApiExample("First page", response_only=True, value={
    "results": [{"id": 1296269, "name": "Hello-World", "full_name": "octocat/Hello-World",
                 "html_url": "https://github.com/octocat/Hello-World",
                 "description": "My first repository", "private": False,
                 "language": "Python", "stargazers_count": 80,
                 "updated_at": "2026-11-01T12:00:00Z"}],
    "page": 1, "next_page": 2})]

# --- Facebook Page link ---------------------------------------------------------------------

_VALID_TOKEN = {
    "valid": True, "expires_at": "2027-01-27T10:00:00Z",
    "data_access_expires_at": "2027-02-26T10:00:00Z",
    "scopes": ["pages_show_list", "pages_read_engagement", "pages_manage_posts"],
    "missing_scopes": [], "checked_at": "2026-11-28T10:00:00Z", "error_code": None,
    "error_message": None,
}
LINK_STATE = {
    "linked": True, "page_selected": True, "relink_needed": False,
    "facebook_user_id": "10000000000001", "page": {"id": "200000000000001", "name": "Our Page"},
    "pages": [{"id": "200000000000001", "name": "Our Page", "category": "Community",
               "tasks": ["CREATE_CONTENT", "MANAGE"]}],
    "token": _VALID_TOKEN,
    "page_token": {**_VALID_TOKEN, "expires_at": None},
    "linked_by": {"id": 1, "username": "octocat"}, "linked_at": "2026-11-28T09:59:00Z",
    "warnings": [{"code": "token_expiring", "token": "user_token",
                  "expires_at": "2026-12-01T10:00:00Z",
                  "message": "The Facebook login of the Page link expires on Dec. 1, 2026, "
                             "10 a.m.: reconnect with Facebook before then, or posts to the "
                             "Page stop."}],
    "budget": {"remaining_percent": 72.0, "used_percent": 28.0, "remaining": None,
               "limit": None, "resets_at": "2026-11-28T10:01:00Z"},
}
NOT_LINKED = {
    "linked": False, "page_selected": False, "relink_needed": False, "facebook_user_id": None,
    "page": None, "pages": [], "token": None, "page_token": None, "linked_by": None,
    "linked_at": None, "warnings": [], "budget": None,
}
FACEBOOK_AUTHORIZE = [
    OpenApiExample("Start", value={}, request_only=True),
    OpenApiExample("Started", response_only=True, status_codes=["201"], value={
        "authorize_url": "https://www.facebook.com/v25.0/dialog/oauth?client_id=…",
        "state": STATE, "expires_at": "2026-11-28T10:10:00Z"}),
]
FACEBOOK_CALLBACK = [
    OpenApiExample("Code", request_only=True, value={"code": "AQD…", "state": STATE}),
    OpenApiExample("Cancelled", request_only=True, value={
        "error": "access_denied", "error_reason": "user_denied",
        "error_description": "Permissions error.", "state": STATE}),
    OpenApiExample("Linked", response_only=True, value=LINK_STATE),
    OpenApiExample("Permission missing", response_only=True, status_codes=["403"],
                   value={"code": "permission_missing",
                          "message": "Facebook did not grant every permission …",
                          "missing": ["pages_manage_posts"]}),
]
FACEBOOK_PAGE = [
    OpenApiExample("Linked", response_only=True, value=LINK_STATE),
    OpenApiExample("Not linked", response_only=True, value=NOT_LINKED),
]
FACEBOOK_PAGE_SELECT = [
    OpenApiExample("Choose", request_only=True, value={"page_id": "200000000000001"}),
]

# --- Page posts and Facebook's callbacks ----------------------------------------------------

POST = {
    "id": 7, "status": "published", "message": "We just shipped v2!",
    "link": "https://example.com/blog/v2", "scheduled_at": None, "page_id": "200000000000001",
    "facebook_post_id": "200000000000001_300000000000001", "error_code": "",
    "error_message": "", "source": "api", "created_by": {"id": 1, "username": "octocat"},
    "created_at": "2026-11-28T10:00:00Z", "completed_at": "2026-11-28T10:00:01Z",
    "attempts": 1, "next_attempt_at": None, "automation": None,
}
RETRYING_POST = {
    **POST, "status": "retrying", "facebook_post_id": "", "error_code": "provider_unavailable",
    "error_message": "The provider is unavailable right now; try again in a moment.",
    "completed_at": None, "attempts": 1, "next_attempt_at": "2026-11-28T10:00:31Z",
}
PAGE_POST_CREATE = [
    OpenApiExample("Post now", request_only=True, value={
        "message": "We just shipped v2!", "link": "https://example.com/blog/v2"}),
    OpenApiExample("Schedule", request_only=True, value={
        "message": "Tomorrow: office hours", "scheduled_at": "2026-11-29T15:00:00Z"}),
    OpenApiExample("Published", response_only=True, status_codes=["201"], value=POST),
    OpenApiExample("Retrying", response_only=True, status_codes=["202"], value=RETRYING_POST),
]
DATA_DELETION = [OpenApiExample("Accepted", response_only=True, value={
    "url": "https://bridge.example.com/api/v1/facebook/data-deletion/3f2a9c0d1e4b5a6c7d8e",
    "confirmation_code": "3f2a9c0d1e4b5a6c7d8e"})]
