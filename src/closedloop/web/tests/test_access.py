"""Every page needs a signed-in user; partners are kept out of the CRM."""

import pytest

from closedloop.accounts.roles import Role
from tests.factories import PASSWORD, ContactFactory, UserFactory

PAGES = ["/", "/contacts/", "/contacts/1/", "/contacts/?q=ada&page=2"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_anonymous_users_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PARTNER])
def test_partner_may_not_see_contacts(client, role):
    contact = ContactFactory()
    client.force_login(UserFactory(role=role))
    assert client.get("/contacts/").status_code == 403
    response = client.get(f"/contacts/{contact.pk}/")
    assert response.status_code == 403
    assert b"have access" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.ADMIN, Role.HEAD_OF_MARKETING, Role.HEAD_OF_SALES, Role.MARKETER, Role.SALES_REP]
)
def test_internal_roles_see_dashboard_and_contacts(client, role):
    contact = ContactFactory()
    client.force_login(UserFactory(role=role))
    assert client.get("/").status_code == 200
    assert client.get("/contacts/").status_code == 200
    assert client.get(f"/contacts/{contact.pk}/").status_code == 200


@pytest.mark.django_db
def test_partner_sees_the_dashboard(client):
    client.force_login(UserFactory(role=Role.PARTNER))
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_login_page_shows_the_product_name(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"closedloop" in response.content
    assert b'name="username"' in response.content


@pytest.mark.django_db
def test_bad_credentials_show_an_error(client):
    UserFactory(username="sam")
    response = client.post("/accounts/login/", {"username": "sam", "password": "wrong"})
    assert response.status_code == 200
    assert b'class="error"' in response.content
    assert b"correct username and password" in response.content


@pytest.mark.django_db
def test_good_credentials_lead_to_the_dashboard(client):
    UserFactory(username="sam")
    response = client.post("/accounts/login/", {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_layout_has_nav_user_and_post_sign_out(marketer_client):
    html = marketer_client.get("/").content.decode()
    for href in ['href="/"', 'href="/contacts/"', 'href="/imports/"', 'href="/api/v1/docs"']:
        assert href in html
    assert "Mia Marketer" in html and "Marketer" in html
    assert 'action="/accounts/logout/"' in html and 'method="post"' in html
    # htmx requests carry the CSRF token; assets are vendored, never from a CDN.
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "closedloop/vendor/htmx.min.js" in html
    assert "closedloop/vendor/chart.umd.min.js" in html
    assert "https://" not in html.split("<body")[0]


def test_pages_have_no_inline_scripts(marketer_client):
    html = marketer_client.get("/").content.decode()
    # Only external scripts and json_script data blocks, so a strict CSP can be turned on.
    for chunk in html.split("<script")[1:]:
        tag = chunk.split(">", 1)[0]
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_sign_out_is_a_post(marketer_client):
    response = marketer_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert marketer_client.get("/").status_code == 302


def test_vendored_assets_are_served_with_their_licences(marketer_client):
    from django.contrib.staticfiles import finders

    for path in [
        "closedloop/vendor/htmx.min.js",
        "closedloop/vendor/htmx.LICENSE",
        "closedloop/vendor/chart.umd.min.js",
        "closedloop/vendor/chart.js.LICENSE.md",
        "closedloop/app.js",
        "closedloop/app.css",
    ]:
        assert finders.find(path), path


@pytest.mark.django_db
def test_partner_nav_hides_pages_their_role_cannot_open(client):
    client.force_login(UserFactory(role=Role.PARTNER))
    html = client.get("/").content.decode()
    assert 'href="/contacts/"' not in html
    assert 'href="/imports/"' not in html
    assert 'href="/api/v1/docs"' in html


@pytest.mark.django_db
def test_sales_rep_nav_has_contacts_but_not_import(client):
    client.force_login(UserFactory(role=Role.SALES_REP))
    html = client.get("/").content.decode()
    assert 'href="/contacts/"' in html
    assert 'href="/imports/"' not in html
