"""The Django admin page of the Page link: validity, masked tokens, a link to connect."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from integrations.errors import ProviderNotConfigured, ProviderUnavailable
from tests.fixtures import facebook as facebook_fakes
from tests.fixtures.facebook import USER_TOKEN

fake_facebook = facebook_fakes.fake_facebook
linked = facebook_fakes.linked
staff_client = facebook_fakes.staff_client
staff_user = facebook_fakes.staff_user

pytestmark = pytest.mark.django_db
URL = "/admin/integrations/facebookpagelink/"


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", password="x" * 12))
    return client


def test_admin_shows_validity_masked_tokens_and_a_connect_link(admin_client, linked, settings):
    page = admin_client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "valid, expires at" in html
    assert "SENTINEL" not in html
    assert "••••" in html
    assert f'href="{settings.PUBLIC_URL}/facebook"' in html


def test_admin_shows_invalid_tokens(admin_client, linked):
    cache.clear()
    linked.invalid_tokens.add(USER_TOKEN)
    page = admin_client.get(URL).content.decode()
    assert "invalid: The Facebook user changed their password; link again." in page


@pytest.mark.parametrize("error", [ProviderUnavailable(provider="facebook"),
                                   ProviderNotConfigured("Facebook is not configured.")])
def test_admin_shows_facebook_errors_instead_of_failing(admin_client, linked, error):
    cache.clear()
    linked.fail["debug_token"] = error
    page = admin_client.get(URL)
    assert page.status_code == 200
    assert "unknown:" in page.content.decode()


def test_admin_when_not_linked_offers_to_connect(admin_client, fake_facebook):
    page = admin_client.get(URL)
    assert page.status_code == 200
    assert "Connect with Facebook" in page.content.decode()
    assert fake_facebook.calls == []


def test_admin_post_history_is_read_only(admin_client, linked):
    assert admin_client.get("/admin/integrations/pagepost/").status_code == 200
    assert admin_client.get("/admin/integrations/pagepost/add/").status_code == 403
