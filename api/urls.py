from django.urls import path, re_path
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.views.health import HealthView
from api.views.not_found import api_not_found

# Swagger UI and Redoc (sidecar assets, served locally) need inline bootstrap code and styles.
DOCS_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'unsafe-inline'"],
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
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", csp_override(DOCS_CSP)(SpectacularSwaggerView.as_view(url_name="schema")),
         name="swagger-ui"),
    path("redoc", csp_override(DOCS_CSP)(SpectacularRedocView.as_view(url_name="schema")),
         name="redoc"),
]

# Anything else under /api/ answers 404 in the error shape, never an HTML page.
fallback_patterns = [re_path(r"^.*$", api_not_found)]
