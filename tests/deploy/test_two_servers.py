"""Two app servers behind one address share one state: the database and Redis.

Two `gunicorn backend.wsgi` (the repo's gunicorn.conf.py, production settings, DEBUG off) on two
ports, sharing this run's test database (SQLite file or PostgreSQL) and a throwaway Redis, with
the sandbox providers. PUBLIC_URL is the same for both, as behind a load balancer.
"""

import base64
import hashlib
import secrets

import pytest
import redis
import requests
from django.db import connection

from tests.fixtures.processes import free_port
from tests.fixtures.redis import start_redis, stop_redis
from tests.fixtures.servers import APP_REDIRECT_URI, production_env, start_gunicorn

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

START_LIMIT = 5  # THROTTLE_OAUTH_START on both servers, per minute


def _database_url() -> str:
    """This run's test database, as a URL both servers can open."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


@pytest.fixture(scope="module")
def shared_redis():
    process, url = start_redis()
    yield url
    stop_redis(process)


@pytest.fixture
def servers(sandbox, shared_redis):
    """(A, B): base URLs of two servers sharing the database and Redis."""
    sandbox.reset()
    redis.Redis.from_url(shared_redis).flushdb()
    ports = (free_port(), free_port())
    public_url = f"http://127.0.0.1:{ports[0]}"  # the one address (the balancer's)
    sandbox.register_redirect_uri("github", public_url + "/auth/github/callback")
    sandbox.register_redirect_uri("github", APP_REDIRECT_URI)
    sandbox.register_redirect_uri("facebook", public_url + "/facebook/callback")
    env = production_env(database_url=_database_url(), sandbox=sandbox, public_url=public_url,
                         redis_url=shared_redis, WEB_CONCURRENCY="2", GUNICORN_THREADS="4",
                         THROTTLE_OAUTH_START=f"{START_LIMIT}/min")
    started = []
    try:
        for port in ports:
            started.append(start_gunicorn(env, port))
        yield tuple(server.url for server in started)
    finally:
        for server in started:
            server.stop()


def _app_authorize(base: str) -> tuple[requests.Response, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    response = requests.post(base + "/api/v1/auth/github/authorize", timeout=30, json={
        "client": "app", "redirect_uri": APP_REDIRECT_URI,
        "code_challenge": challenge.rstrip(b"=").decode()})
    return response, verifier


def _app_sign_in(sandbox, start_on: str, finish_on: str) -> str:
    """A mobile-app sign-in as octocat (staff): its API token."""
    started, verifier = _app_authorize(start_on)
    assert started.status_code == 201, started.text
    params = sandbox.github_consent(started.json()["authorize_url"])
    finished = requests.post(finish_on + "/api/v1/auth/github/callback", timeout=30, json={
        "code": params["code"], "state": params["state"], "code_verifier": verifier})
    assert finished.status_code == 200, finished.text
    return finished.json()["token"]


def test_two_servers_share_sign_ins_tokens_throttles_and_idempotency(servers, sandbox,
                                                                     shared_redis):
    a, b = servers

    # Throttle counted across both: exactly N of 2N alternating requests are accepted.
    statuses = [_app_authorize(base)[0].status_code for base in (a, b) * START_LIMIT]
    assert sorted(statuses) == [201] * START_LIMIT + [429] * START_LIMIT, statuses
    assert statuses[:START_LIMIT] == [201] * START_LIMIT
    redis.Redis.from_url(shared_redis).flushdb()  # a fresh minute for the rest

    # A browser sign-in started on A (authorize) finishes on B (callback).
    browser = requests.Session()
    assert browser.get(a + "/", timeout=30).status_code == 200  # the SPA: CSRF cookie
    csrf = {"X-CSRFToken": browser.cookies["csrftoken"]}
    started = browser.post(a + "/api/v1/auth/github/authorize", json={}, headers=csrf,
                           timeout=30)
    assert started.status_code == 201, started.text
    params = sandbox.github_consent(started.json()["authorize_url"], user="mona")
    finished = browser.post(b + "/api/v1/auth/github/callback", headers=csrf, timeout=30,
                            json={"code": params["code"], "state": params["state"]})
    assert finished.status_code == 200, finished.text
    assert browser.get(a + "/api/v1/me", timeout=30).json()["github"]["login"] == "mona"

    # An app token issued by A works on B.
    token = _app_sign_in(sandbox, start_on=a, finish_on=a)
    staff = requests.Session()
    staff.headers["Authorization"] = f"Token {token}"
    me = staff.get(b + "/api/v1/me", timeout=30)
    assert me.status_code == 200 and me.json()["github"]["login"] == "octocat"

    # A Page post's Idempotency-Key replayed on B returns the post made on A.
    started = staff.post(a + "/api/v1/facebook/authorize", json={}, timeout=30)
    assert started.status_code == 201, started.text
    params = sandbox.facebook_consent(started.json()["authorize_url"], user="sam")
    linked = staff.post(b + "/api/v1/facebook/callback", timeout=30,
                        json={"code": params["code"], "state": params["state"]})
    assert linked.status_code == 200, linked.text
    body, key = {"message": "Shipped from two servers"}, {"Idempotency-Key": "two-servers-1"}
    first = staff.post(a + "/api/v1/facebook/page/posts", json=body, headers=key, timeout=30)
    assert first.status_code == 201, first.text
    replay = staff.post(b + "/api/v1/facebook/page/posts", json=body, headers=key, timeout=30)
    assert replay.status_code == 200, replay.text
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert len(sandbox.posts()) == 1  # published once

    health = requests.get(b + "/api/v1/health", timeout=30).json()
    assert health == {"status": "ok", "database": "ok", "tasks": "ok", "cache": "ok"}
