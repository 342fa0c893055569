"""Benchmark only (never in the product's URLs): bare Django views, the baselines of bench_api.

* `bare/me`: the cheapest possible `/me`: read the session user, answer JSON.
* `bare/signin`: the least a GitHub sign-in can do over HTTP: exchange the code, then read
  /user and /user/emails side by side, and answer. No state check, no database, no session, no
  token storage: the floor the product's callback is measured against.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import requests
from django.conf import settings
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from api.views.health import HealthView

_http = requests.Session()
_reads = ThreadPoolExecutor(max_workers=16)


def session_user(request):
    user = request.user
    return JsonResponse({"id": user.pk, "username": user.get_username(),
                         "is_staff": user.is_staff})


@csrf_exempt
def sign_in(request):
    body = json.loads(request.body)
    token = _http.post(
        settings.GITHUB_URL + "/login/oauth/access_token", timeout=10,
        headers={"Accept": "application/json"},
        data={"client_id": settings.GITHUB_CLIENT_ID, "code": body["code"],
              "client_secret": settings.GITHUB_CLIENT_SECRET,
              "redirect_uri": body["redirect_uri"]},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    emails = _reads.submit(_http.get, settings.GITHUB_API_URL + "/user/emails",
                           headers=headers, timeout=10)
    profile = _http.get(settings.GITHUB_API_URL + "/user", headers=headers, timeout=10).json()
    primary = [e["email"] for e in emails.result().json() if e["primary"] and e["verified"]]
    return JsonResponse({"id": profile["id"], "login": profile["login"], "email": primary[0]})


urlpatterns = [
    path("bare/me", session_user),
    path("bare/signin", sign_in),
    path("api/v1/health", HealthView.as_view()),  # what start_gunicorn waits for
]
