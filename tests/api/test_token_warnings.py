"""Expiring tokens that warn: the API's `warnings`, the daily check's email (once per
threshold), staff GitHub refresh tokens, the admin."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from integrations.models import GitHubAccount, TokenWarning
from tests.fixtures.facebook import PAGE_TOKEN, USER_TOKEN, page_manager

pytestmark = pytest.mark.django_db
PAGE_URL = "/api/v1/facebook/page"


def check(**kwargs):
    cache.clear()  # debug_token answers are cached ~60 s
    out = StringIO()
    call_command("check_tokens", stdout=out, **kwargs)
    return out.getvalue()


def test_a_healthy_link_has_no_warnings_and_sends_nothing(staff_client, linked):
    assert staff_client.get(PAGE_URL).json()["warnings"] == []
    assert "0 new warning(s)" in check()
    assert mail.outbox == []


def test_token_expiring_within_the_warning_days_is_in_the_api_and_emailed_once(
        staff_client, linked, staff_user, settings):
    staff_user.email = "staff@example.com"
    staff_user.save()
    linked.user_token_lifetime = timedelta(days=3)
    cache.clear()
    [warning] = staff_client.get(PAGE_URL).json()["warnings"]
    assert warning["code"] == "token_expiring" and warning["expires_at"]
    assert "Reconnect with Facebook".lower() in warning["message"].lower()
    assert "token_expiring" in check()
    [email] = mail.outbox
    assert email.to == ["staff@example.com"] and "expires on" in email.body
    assert f"{settings.PUBLIC_URL}/facebook" in email.body
    assert USER_TOKEN not in email.body and "SENTINEL" not in email.body
    assert "0 new warning(s)" in check(), "the same threshold never warns twice"
    assert len(mail.outbox) == 1


def test_the_last_day_warns_again_once(staff_client, linked, staff_user):
    staff_user.email = "staff@example.com"
    staff_user.save()
    linked.user_token_lifetime = timedelta(days=3)
    check()
    linked.user_token_lifetime = timedelta(hours=20)
    check()
    check()
    assert len(mail.outbox) == 2
    assert sorted(TokenWarning.objects.values_list("threshold", flat=True)) == ["1d", "7d"]


def test_warning_days_are_configurable(staff_client, linked, settings):
    settings.TOKEN_EXPIRY_WARNING_DAYS = 2
    linked.user_token_lifetime = timedelta(days=3)
    cache.clear()
    assert staff_client.get(PAGE_URL).json()["warnings"] == []


def test_data_access_expiring_and_invalid_tokens_warn(staff_client, linked, staff_user):
    linked.data_access_lifetime = timedelta(days=5)
    cache.clear()
    codes = [w["code"] for w in staff_client.get(PAGE_URL).json()["warnings"]]
    assert codes == ["data_access_expiring"]
    linked.invalid_tokens.add(USER_TOKEN)
    cache.clear()
    codes = [w["code"] for w in staff_client.get(PAGE_URL).json()["warnings"]]
    assert codes == ["token_invalid"]


def test_an_invalid_page_token_warns(staff_client, linked):
    linked.invalid_tokens.add(f"{PAGE_TOKEN}-201")
    cache.clear()
    [warning] = staff_client.get(PAGE_URL).json()["warnings"]
    assert warning["code"] == "token_invalid" and "Page token" in warning["message"]


def test_facebook_unreachable_is_not_reported_as_invalid(staff_client, linked):
    from integrations.errors import ProviderUnavailable

    linked.fail["debug_token"] = ProviderUnavailable(provider="facebook")
    cache.clear()
    assert staff_client.get(PAGE_URL).json()["warnings"] == []
    assert "0 new warning(s)" in check()


def test_staff_github_refresh_tokens_expiring_are_emailed(db, fake_facebook):
    user = page_manager("octo")
    user.email = "octo@example.com"
    user.save()
    GitHubAccount.objects.create(user=user, github_id=1, login="octo", access_token="ghu_x",
                                 refresh_token="ghr_SENTINEL",
                                 refresh_token_expires_at=timezone.now() + timedelta(days=2))
    plain = get_user_model().objects.create_user("plain", email="plain@example.com")
    GitHubAccount.objects.create(user=plain, github_id=2, login="plain", access_token="ghu_y",
                                 refresh_token="ghr_y",
                                 refresh_token_expires_at=timezone.now() + timedelta(days=2))
    assert "1 new warning(s)" in check()
    [email] = mail.outbox
    assert email.to == ["octo@example.com"]
    assert "refresh token of octo expires" in email.body and "plain" not in email.body
    assert "SENTINEL" not in email.body
    assert "0 new warning(s)" in check()
    account = GitHubAccount.objects.get(login="octo")  # refreshed: a new token, a new warning
    account.refresh_token = "ghr_SENTINEL_2"
    account.save()
    assert "1 new warning(s)" in check()
    assert not any("SENTINEL" in w.subject for w in TokenWarning.objects.all())


def test_warnings_are_emailed_to_page_managers_and_superusers_not_all_staff(linked, staff_user):
    users = get_user_model().objects
    staff_user.email = "manager@example.com"
    staff_user.save()
    users.create_superuser("root", email="root@example.com", password="x" * 12)
    users.create_user("helper", email="helper@example.com", is_staff=True)  # no permission
    users.create_user("plain", email="plain@example.com")
    gone = page_manager("gone")
    gone.email, gone.is_active = "gone@example.com", False
    gone.save()
    linked.user_token_lifetime = timedelta(days=3)
    assert "1 new warning(s)" in check()
    [email] = mail.outbox
    assert sorted(email.to) == ["manager@example.com", "root@example.com"]


def test_check_tokens_queue_hands_the_check_to_the_worker(db):
    assert "queued" in check(queue=True)
    assert DBTaskResult.objects.get().task_path == "integrations.tasks.check_tokens"


def test_admin_shows_the_warning(client, linked):
    client.force_login(get_user_model().objects.create_superuser("root", password="x" * 12))
    linked.user_token_lifetime = timedelta(days=3)
    cache.clear()
    html = client.get("/admin/integrations/facebookpagelink/").content.decode()
    assert "token_expiring" in html and "reconnect with Facebook" in html
