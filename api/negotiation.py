"""DRF's content negotiation, with the everyday answer found without parsing.

Every API view renders JSON only. DRF still parses the Accept header into media types and
orders them by precedence on each request; when there is one renderer and the client accepts
anything or exactly its type (no Accept header, `*/*`, `application/json`), the answer is known.
Everything else (`text/html` → 406, parameters such as `indent`, `?format=`) is DRF's.
"""

from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1 and format_suffix is None:
            renderer = renderers[0]
            accept = request.META.get("HTTP_ACCEPT", "*/*")
            if (accept in ("*/*", renderer.media_type)
                    and self.settings.URL_FORMAT_OVERRIDE not in request.query_params):
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)
