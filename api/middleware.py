from django.utils.cache import add_never_cache_headers


class NoStoreApiMiddleware:
    """API answers carry personal data or tokens: never cached by browsers or proxies (S41)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/") and "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response
