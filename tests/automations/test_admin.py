"""The admin shows automations and deliveries read-only, never the secret."""

import pytest
from django.contrib.auth import get_user_model

from automations.models import Automation, WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("root"))
    return client


def test_automation_admin_is_read_only_and_hides_the_secret(admin_client):
    automation = Automation.objects.create(repository="octocat/Hello-World", events=["release"],
                                           message_template="{tag}", secret="SENTINELSECRET" * 3)
    WebhookDelivery.objects.create(delivery_id="d-1", automation=automation, event="release",
                                   outcome="queued")
    change = admin_client.get(f"/admin/automations/automation/{automation.pk}/change/")
    assert change.status_code == 200
    assert b"SENTINELSECRET" not in change.content
    assert admin_client.get("/admin/automations/automation/add/").status_code == 403
    assert admin_client.get(
        f"/admin/automations/automation/{automation.pk}/delete/").status_code == 403
    listed = admin_client.get("/admin/automations/webhookdelivery/")
    assert listed.status_code == 200 and b"d-1" in listed.content
