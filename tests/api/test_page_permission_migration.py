"""Migration 0005 keeps today's staff able to manage the Page (issue 16 item 13)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("integrations", "0003_github_staff_from_list")]
AFTER = [("integrations", "0005_manage_facebook_page_and_signed_request_receipts")]


@pytest.mark.django_db(transaction=True)
def test_existing_staff_get_the_page_permission_and_others_do_not():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    User = old_apps.get_model("auth", "User")
    staff = User.objects.create(username="old-staff", is_staff=True)
    plain = User.objects.create(username="old-plain")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    assert users.get(pk=staff.pk).has_perm("integrations.manage_facebook_page")
    assert not users.get(pk=plain.pk).has_perm("integrations.manage_facebook_page")


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    """Leave the test database fully migrated for the tests that follow."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
