"""The /users/ pages: admins only; forms call the services and show their refusals."""

import re

import pytest

from closedloop.accounts.models import ApiToken, User
from closedloop.accounts.roles import Role
from closedloop.accounts.services import api_token_authenticate
from closedloop.audit.models import AuditEntry
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="root", role=Role.ADMIN)
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.mark.parametrize("role", [Role.HEAD_OF_SALES, Role.MARKETER, Role.PARTNER])
def test_pages_are_for_admins_only(client, role):
    target = UserFactory()
    client.force_login(UserFactory(role=role))
    assert client.get("/users/").status_code == 403
    assert client.get(f"/users/{target.pk}/").status_code == 403
    assert client.post(f"/users/{target.pk}/deactivate/").status_code == 403
    target.refresh_from_db()
    assert target.is_active


def test_list_shows_role_team_manager_status_and_tokens(admin_client):
    boss = UserFactory(username="maya", role=Role.HEAD_OF_MARKETING)
    UserFactory(
        username="mo", role=Role.MARKETER, team=TeamFactory(name="Growth"), manager=boss, is_active=False
    )
    html = admin_client.get("/users/").content.decode()
    row = re.search(r"<tr>\s*<td><a href=\"/users/\d+/\">mo</a>.*?</tr>", html, re.S).group(0)
    for text in ("Marketer", "Growth", "maya", "deactivated", "never"):
        assert text in row


def test_create_user_with_a_valid_password(admin_client):
    team = TeamFactory(name="Sales")
    form = {
        "username": "newbie",
        "email": "newbie@example.com",
        "role": Role.SALES_REP,
        "team": team.pk,
        "password": "short",
        "password_again": "short",
    }
    resp = admin_client.post("/users/new/", form)
    assert resp.status_code == 200 and "This password is too short" in resp.content.decode()
    assert not User.objects.filter(username="newbie").exists()
    resp = admin_client.post(
        "/users/new/", {**form, "password": "a long enough secret", "password_again": "x"}
    )
    assert "the two passwords differ" in resp.content.decode()
    ok = {**form, "password": "a long enough secret", "password_again": "a long enough secret"}
    resp = admin_client.post("/users/new/", ok)
    user = User.objects.get(username="newbie")
    assert resp.status_code == 302 and resp["Location"] == f"/users/{user.pk}/"
    assert user.team == team and user.check_password("a long enough secret")
    assert AuditEntry.objects.get(action="user.create").actor == admin_client.admin


def test_change_role_and_see_the_last_admin_refusal(admin_client):
    rep = UserFactory(role=Role.SALES_REP)
    resp = admin_client.post(f"/users/{rep.pk}/", {"role": Role.HEAD_OF_SALES, "team": "", "manager": ""})
    assert resp.status_code == 302
    rep.refresh_from_db()
    assert rep.role == Role.HEAD_OF_SALES
    me = admin_client.admin
    resp = admin_client.post(f"/users/{me.pk}/", {"role": Role.MARKETER, "team": "", "manager": ""})
    assert resp.status_code == 200 and "root is the last active admin" in resp.content.decode()
    resp = admin_client.post(f"/users/{me.pk}/deactivate/", follow=True)
    assert "root is the last active admin and cannot be deactivated" in resp.content.decode()
    me.refresh_from_db()
    assert me.is_active and me.role == Role.ADMIN


def test_deactivate_and_reactivate(admin_client):
    rep = UserFactory(role=Role.SALES_REP)
    assert admin_client.get(f"/users/{rep.pk}/deactivate/").status_code == 405
    admin_client.post(f"/users/{rep.pk}/deactivate/")
    rep.refresh_from_db()
    assert not rep.is_active
    admin_client.post(f"/users/{rep.pk}/reactivate/")
    rep.refresh_from_db()
    assert rep.is_active


def test_token_secret_is_shown_once_and_revoking_stops_it(admin_client):
    marketer = UserFactory(role=Role.MARKETER)
    resp = admin_client.post(f"/users/{marketer.pk}/tokens/", {"name": "site", "scopes": ["view_audit"]})
    assert "Select a valid choice" in resp.content.decode()  # the role lacks it: not even offered
    resp = admin_client.post(f"/users/{marketer.pk}/tokens/", {"name": "site", "scopes": ["ingest_events"]})
    html = resp.content.decode()
    raw = re.search(r"<code>(cl_[\w-]+)</code>", html).group(1)
    assert api_token_authenticate(raw=raw) == marketer
    assert raw not in admin_client.get(f"/users/{marketer.pk}/").content.decode()
    token = ApiToken.objects.get(user=marketer)
    assert token.scopes == ["ingest_events"]
    admin_client.post(f"/users/{marketer.pk}/tokens/{token.pk}/revoke/")
    assert api_token_authenticate(raw=raw) is None
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "token.create",
        "token.revoke",
    ]
