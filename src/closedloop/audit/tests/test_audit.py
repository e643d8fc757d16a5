import pytest
from django.db.models import ProtectedError

from closedloop.accounts.roles import Role
from closedloop.audit.models import AuditEntry
from closedloop.audit.selectors import audit_action_prefixes, audit_entry_list
from closedloop.audit.services import audit_record
from tests.factories import TeamFactory, UserFactory


@pytest.mark.django_db
def test_record_keeps_who_what_and_when():
    user = UserFactory(first_name="Rae", last_name="Okafor", role=Role.ADMIN)
    team = TeamFactory(name="Sales")
    entry = audit_record(
        actor=user, action="team.rename", obj=team, summary="Renamed", changes={"name": ["Old", "Sales"]}
    )
    assert (entry.actor, entry.actor_name, entry.object_type, entry.object_id) == (
        user,
        "Rae Okafor",
        "accounts.team",
        str(team.pk),
    )
    assert entry.changes == {"name": ["Old", "Sales"]} and entry.at is not None
    # A user who has acted cannot be deleted (that would rewrite the log); they are deactivated.
    with pytest.raises(ProtectedError):
        user.delete()
    entry.refresh_from_db()
    assert entry.actor == user and entry.actor_name == "Rae Okafor"


@pytest.mark.django_db
def test_system_actions_and_non_json_values():
    from datetime import UTC, datetime
    from decimal import Decimal

    team = TeamFactory()
    entry = audit_record(
        actor=None,
        action="team.sync",
        obj=team,
        summary="Synced",
        changes={"at": datetime(2026, 1, 2, tzinfo=UTC), "n": Decimal("1.5")},
    )
    entry.refresh_from_db()
    assert entry.actor is None and entry.actor_name == ""
    assert entry.changes == {"at": "2026-01-02T00:00:00Z", "n": "1.5"}


@pytest.mark.django_db
def test_selectors_filter_by_object_and_area():
    a, b = TeamFactory(), TeamFactory()
    audit_record(actor=None, action="team.one", obj=a, summary="1")
    audit_record(actor=None, action="other.two", obj=b, summary="2")
    assert [e.summary for e in audit_entry_list(obj=a)] == ["1"]
    assert [e.summary for e in audit_entry_list(action_prefix="other.")] == ["2"]
    assert audit_action_prefixes() == ["other", "team"]


@pytest.mark.django_db
def test_log_page_is_for_admins_only(client):
    audit_record(actor=None, action="team.one", obj=TeamFactory(), summary="Something happened")
    client.force_login(UserFactory(role=Role.HEAD_OF_SALES))
    assert client.get("/audit/").status_code == 403
    admin = UserFactory(role=Role.ADMIN)
    client.force_login(admin)
    html = client.get("/audit/").content.decode()
    assert "Something happened" in html and 'href="/audit/"' in html
    assert AuditEntry.objects.count() == 1
