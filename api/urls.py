from django.urls import include, path, re_path
from django.views.decorators.csp import csp_override
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from api.views.automations import AutomationsView, AutomationView
from api.views.csrf import CsrfTokenView
from api.views.github import GitHubAuthorizeView, GitHubCallbackView
from api.views.github_app import (
    GitHubAppInstallationsView,
    GitHubAppInstallView,
    GitHubAppView,
    GitHubAppWebhookView,
)
from api.views.github_webhook import GitHubWebhookView
from api.views.health import HealthView, LiveView
from api.views.me import GitHubReposView, GitHubTokenView, LogoutView, MeView
from api.views.media import MediaView
from api.views.not_found import api_not_found

# Swagger UI (split view: its bootstrap script is a URL, not inline) and Redoc load only local
# sidecar assets; they do need inline styles, and Redoc runs a blob: worker.
DOCS_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "worker-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
}

urlpatterns = [
    path("health", HealthView.as_view(), name="health"),
    path("health/live", LiveView.as_view(), name="health-live"),
    path("auth/csrf", CsrfTokenView.as_view(), name="auth-csrf"),
    path("auth/github/authorize", GitHubAuthorizeView.as_view(), name="github-authorize"),
    path("auth/github/callback", GitHubCallbackView.as_view(), name="github-callback"),
    path("auth/logout", LogoutView.as_view(), name="logout"),
    path("me", MeView.as_view(), name="me"),
    path("me/github/token", GitHubTokenView.as_view(), name="me-github-token"),
    path("me/github/repos", GitHubReposView.as_view(), name="me-github-repos"),
    path("media", MediaView.as_view(), name="media"),
    path("facebook/", include("api.urls_facebook")),
    path("automations", AutomationsView.as_view(), name="automations"),
    path("automations/<int:pk>", AutomationView.as_view(), name="automation"),
    path("github/webhook", GitHubWebhookView.as_view(), name="github-webhook"),
    path("github/app", GitHubAppView.as_view(), name="github-app"),
    path("github/app/install", GitHubAppInstallView.as_view(), name="github-app-install"),
    path("github/app/installations", GitHubAppInstallationsView.as_view(),
         name="github-app-installations"),
    path("github/app/webhook", GitHubAppWebhookView.as_view(), name="github-app-webhook"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", csp_override(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(
        url_name="schema", template_name="api/swagger_ui.html")), name="swagger-ui"),
    path("redoc", csp_override(DOCS_CSP)(
        SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html")),
         name="redoc"),
]

# Anything else under /api/ answers 404 in the error shape, never an HTML page.
fallback_patterns = [re_path(r"^.*$", api_not_found)]
