"""`GET /me/github/token` remembers GitHub's answer for a minute, never past a new token."""

import pytest

from tests.fixtures.github import ACCESS_TOKEN, CHECK_URL, sign_in

pytestmark = pytest.mark.django_db



def check_calls(github) -> int:
    return sum(call.request.url == CHECK_URL for call in github.calls)


def test_a_second_check_within_the_ttl_does_not_ask_github(signed_in, github):
    github.post(CHECK_URL, json={"token": ACCESS_TOKEN, "scopes": ["read:user"]})
    first = signed_in.get("/api/v1/me/github/token").json()
    second = signed_in.get("/api/v1/me/github/token").json()
    assert first == second and first["valid"] is True
    assert check_calls(github) == 1


def test_an_invalid_answer_is_remembered_too(signed_in, github):
    github.post(CHECK_URL, status=404, json={"message": "Not Found"})
    assert signed_in.get("/api/v1/me/github/token").json()["valid"] is False
    assert signed_in.get("/api/v1/me/github/token").json()["valid"] is False
    assert check_calls(github) == 1


def test_a_new_token_is_asked_about_afresh(signed_in, github, api_client):
    github.post(CHECK_URL, status=404, json={"message": "Not Found"})
    assert signed_in.get("/api/v1/me/github/token").json()["valid"] is False
    assert sign_in(api_client, github).status_code == 200  # signing in again stores a new token
    github.reset()
    github.post(CHECK_URL, json={"token": ACCESS_TOKEN, "scopes": ["read:user"]})
    assert signed_in.get("/api/v1/me/github/token").json()["valid"] is True
    assert check_calls(github) == 1


def test_github_unreachable_is_not_remembered(signed_in, github):
    github.post(CHECK_URL, status=503)
    assert signed_in.get("/api/v1/me/github/token").status_code == 502
    github.reset()
    github.post(CHECK_URL, json={"token": ACCESS_TOKEN, "scopes": ["read:user"]})
    assert signed_in.get("/api/v1/me/github/token").json()["valid"] is True
