"""User changes through accounts.services, the command line and Django admin: each is audited."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from closedloop.accounts.models import User
from closedloop.accounts.roles import Role
from closedloop.accounts.services import (
    user_change,
    user_create,
    user_deactivate,
    user_reactivate,
)
from closedloop.audit.models import AuditEntry
from tests.factories import PASSWORD, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _actions(user):
    return list(
        AuditEntry.objects.filter(object_type="accounts.user", object_id=str(user.pk))
        .order_by("id")
        .values_list("action", "changes")
    )


def test_create_records_who_made_whom():
    admin = UserFactory(role=Role.ADMIN)
    team = TeamFactory(name="Field sales")
    boss = UserFactory(username="boss", role=Role.HEAD_OF_SALES)
    rep = user_create(
        username="rita",
        password="a long enough secret",
        role=Role.SALES_REP,
        team=team,
        manager=boss,
        actor=admin,
    )
    entry = AuditEntry.objects.get(action="user.create")
    assert (entry.actor, entry.object_id) == (admin, str(rep.pk))
    assert entry.changes == {
        "role": [None, "sales_rep"],
        "team": [None, "Field sales"],
        "manager": [None, "boss"],
    }


def test_weak_password_is_refused_by_the_validators():
    with pytest.raises(ValidationError) as exc:
        user_create(username="weak", password="short", role=Role.MARKETER)
    assert "password" in exc.value.message_dict and "too short" in exc.value.message_dict["password"][0]
    with pytest.raises(ValidationError, match="too common"):
        user_create(username="weak", password="password123", role=Role.MARKETER)
    assert not User.objects.filter(username="weak").exists()
    assert not AuditEntry.objects.exists()


def test_role_team_and_manager_changes_each_write_one_entry():
    admin = UserFactory(role=Role.ADMIN)
    user = UserFactory(role=Role.SALES_REP)
    team = TeamFactory(name="Marketing")
    boss = UserFactory(username="maya", role=Role.HEAD_OF_MARKETING)
    user_change(user=user, actor=admin, role=Role.MARKETER, team=team, manager=boss)
    assert _actions(user) == [
        ("user.role_change", {"role": ["sales_rep", "marketer"]}),
        ("user.team_change", {"team": [None, "Marketing"]}),
        ("user.manager_change", {"manager": [None, "maya"]}),
    ]
    # Saving the same values again records nothing.
    user_change(user=user, actor=admin, role=Role.MARKETER, team=team, manager=boss)
    assert len(_actions(user)) == 3
    user.refresh_from_db()
    assert (user.role, user.team, user.manager) == (Role.MARKETER, team, boss)


def test_promotion_to_admin_grants_the_admin_site_and_demotion_takes_it_away():
    root = user_create(username="root", password="a long enough secret", role=Role.ADMIN)
    user = UserFactory(role=Role.MARKETER)
    user = user_change(user=user, actor=root, role=Role.ADMIN)
    assert user.is_staff and user.is_superuser
    user = user_change(user=user, actor=root, role=Role.MARKETER)
    assert not user.is_staff and not user.is_superuser


def test_last_active_admin_cannot_be_demoted_or_deactivated():
    only = UserFactory(username="only", role=Role.ADMIN)
    with pytest.raises(ValidationError, match="only is the last active admin"):
        user_change(user=only, actor=only, role=Role.MARKETER)
    with pytest.raises(ValidationError, match="last active admin and cannot be deactivated"):
        user_deactivate(user=only, actor=only)
    second = UserFactory(role=Role.ADMIN)
    user_deactivate(user=second, actor=only)
    # A deactivated admin does not count.
    with pytest.raises(ValidationError, match="last active admin"):
        user_deactivate(user=only, actor=only)
    user_reactivate(user=second, actor=only)
    user_deactivate(user=only, actor=second)
    only.refresh_from_db()
    assert only.is_active is False and only.role == Role.ADMIN


def test_deactivated_user_cannot_sign_in_and_reactivation_restores_it(client):
    admin = UserFactory(role=Role.ADMIN)
    rep = UserFactory(username="rex", role=Role.SALES_REP)
    user_deactivate(user=rep, actor=admin)
    resp = client.post("/accounts/login/", {"username": "rex", "password": PASSWORD})
    assert resp.status_code == 200 and "_auth_user_id" not in client.session
    with pytest.raises(ValidationError, match="already deactivated"):
        user_deactivate(user=rep, actor=admin)
    user_reactivate(user=rep, actor=admin)
    assert client.post("/accounts/login/", {"username": "rex", "password": PASSWORD}).status_code == 302
    assert [a for a, _ in _actions(rep)] == ["user.deactivate", "user.reactivate"]


def test_user_cannot_manage_themselves():
    user = UserFactory(role=Role.SALES_REP)
    with pytest.raises(ValidationError, match="cannot be their own manager"):
        user_change(user=user, actor=None, manager=user)


def test_createuser_command_is_audited_as_the_system(capsys):
    call_command("createuser", "cli-user", "--role", "marketer", "--password", "a long enough secret")
    entry = AuditEntry.objects.get(action="user.create")
    assert entry.actor is None and entry.object_repr == "cli-user"
    with pytest.raises(Exception, match="password: This password is too short"):
        call_command("createuser", "x", "--role", "marketer", "--password", "short")


def test_django_admin_changes_go_through_the_services(client, settings):
    settings.TIME_ZONE = "UTC"  # the form below writes date_joined as UTC wall time
    root = user_create(username="root", password="a long enough secret", role=Role.ADMIN)
    joined = datetime(2026, 1, 1, tzinfo=UTC)
    rep = UserFactory(username="rep", role=Role.SALES_REP, first_name="Old", date_joined=joined)
    client.force_login(root)
    url = f"/admin/accounts/user/{rep.pk}/change/"
    form = {
        "username": "rep",
        "first_name": "New",
        "last_name": "",
        "email": rep.email,
        "is_staff": "",
        "is_active": "",  # unticked: deactivate
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "role": Role.MARKETER,
        "team": "",
        "manager": "",
    }
    resp = client.post(url, form)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    rep.refresh_from_db()
    assert (rep.first_name, rep.role, rep.is_active) == ("New", Role.MARKETER, False)
    assert _actions(rep) == [
        ("user.change", {"first_name": ["Old", "New"]}),
        ("user.role_change", {"role": ["sales_rep", "marketer"]}),
        ("user.deactivate", {"is_active": [True, False]}),
    ]
    # The last admin cannot switch themselves off in the admin either: the form says why.
    own = {**form, "username": "root", "email": "", "role": Role.ADMIN, "is_superuser": "on", "is_active": ""}
    resp = client.post(f"/admin/accounts/user/{root.pk}/change/", own)
    assert resp.status_code == 200 and "last active admin" in resp.content.decode()
    root.refresh_from_db()
    assert root.is_active
    # Users are never deleted there.
    assert client.get(f"/admin/accounts/user/{rep.pk}/delete/").status_code == 403
