"""Benchmark only (never in the product's URLs): a bare Django JSON view of the session user."""

from django.http import JsonResponse
from django.urls import path

from api.views.health import HealthView


def session_user(request):
    """What the cheapest possible `/me` does: read the session user, answer JSON."""
    user = request.user
    return JsonResponse({"id": user.pk, "username": user.get_username(),
                         "is_staff": user.is_staff})


urlpatterns = [
    path("bare/me", session_user),
    path("api/v1/health", HealthView.as_view()),  # what start_gunicorn waits for
]
