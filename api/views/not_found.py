from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from api.errors import error_body


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Unknown /api/ paths, whatever the method: 404 in the error shape."""
    return JsonResponse(error_body("not_found", "Not found."), status=404)
