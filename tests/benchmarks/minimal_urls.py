"""Benchmark only: the minimal project's views (tests.benchmarks.minimal_settings).

* `minimal/me`: the session user as JSON, the way a small Django project writes it.
* `minimal/login`: logs the benchmark's user in with ModelBackend (a session of this project's
  own shape), so `minimal/me` reads a signed-in user. Never part of the product's URLs.
* `api/v1/health`: what start_gunicorn waits for.
"""

import json

from django.contrib.auth import get_user_model, login
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


def me(request):
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"detail": "not signed in"}, status=403)
    return JsonResponse({"id": user.pk, "username": user.get_username(), "email": user.email,
                         "is_staff": user.is_staff})


@csrf_exempt
def log_in(request):
    user = get_user_model().objects.get(pk=json.loads(request.body)["user_id"])
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse({"id": user.pk})


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("minimal/me", me),
    path("minimal/login", log_in),
    path("api/v1/health", health),
]
