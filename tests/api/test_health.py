from unittest import mock

import pytest
from django.db import OperationalError, ProgrammingError

LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _no_shared_cache(settings):
    """The cache field is covered in test_shared_cache.py; here only the database matters."""
    settings.CACHES = LOCAL_CACHE


@pytest.mark.django_db
def test_health_answers_ok_after_a_database_query(api_client, django_assert_num_queries):
    with django_assert_num_queries(2):  # SELECT 1, then the task queue
        response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "tasks": "ok"}


@pytest.mark.django_db
def test_health_answers_503_in_the_error_shape_when_the_database_is_down(api_client):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute",
                    side_effect=OperationalError("connection refused")):
        response = api_client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json() == {"code": "database_unavailable",
                               "message": "The database is unavailable.",
                               "request_id": response["X-Request-ID"], "retry_after": 5,
                               "status": "unavailable", "database": "unavailable",
                               "tasks": "unavailable"}
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_health_is_degraded_when_the_task_queue_cannot_be_read(api_client):
    with mock.patch("api.views.health.DBTaskResult.objects.filter",
                    side_effect=ProgrammingError("no such table: django_tasks_db_dbtaskresult")):
        response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "tasks": "unavailable"}


def test_liveness_answers_without_touching_the_database(api_client):
    # No django_db mark: any database access would raise here.
    response = api_client.get("/api/v1/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
