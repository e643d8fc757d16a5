"""The audit log page's date filters and its CSV export; every CSV export is itself recorded."""

import csv
import io
from datetime import UTC, datetime

import pytest

from closedloop.accounts.roles import Role
from closedloop.audit.models import AuditEntry
from closedloop.audit.services import audit_record
from closedloop.web.csv_export import csv_response
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def entries():
    team = TeamFactory(name="Sales")
    audit_record(
        actor=None, action="user.create", obj=team, summary="march", at=datetime(2026, 3, 1, 9, tzinfo=UTC)
    )
    audit_record(
        actor=None,
        action="agreement.sign",
        obj=team,
        summary="april",
        changes={"sla_hours": [24, 48]},
        at=datetime(2026, 4, 10, 23, 30, tzinfo=UTC),
    )
    audit_record(
        actor=None, action="user.deactivate", obj=team, summary="may", at=datetime(2026, 5, 2, tzinfo=UTC)
    )


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="root", first_name="Rae", last_name="Okafor", role=Role.ADMIN)
    client.force_login(admin)
    client.admin = admin
    return client


def test_page_filters_by_area_and_days(admin_client, entries):
    html = admin_client.get("/audit/?start=2026-04-01&end=2026-04-30").content.decode()
    assert "april" in html and "march" not in html and "may" not in html
    assert "sla_hours</strong>: 24 → 48" in html
    html = admin_client.get("/audit/?area=user&end=2026-04-30").content.decode()
    assert "march" in html and "april" not in html and "may" not in html
    assert 'href="/audit/export.csv?area=user&amp;end=2026-04-30"' in html
    html = admin_client.get("/audit/?start=April").content.decode()
    assert "start: &#x27;April&#x27; is not a date" in html and "march" in html


def test_export_is_filtered_and_records_itself(admin_client, entries):
    resp = admin_client.get("/audit/export.csv?area=user&start=2026-01-01&end=2026-12-31")
    assert resp["Content-Disposition"] == 'attachment; filename="audit-user-2026-01-01-2026-12-31.csv"'
    rows = _csv(resp)
    assert rows[0] == ["at", "actor", "action", "object_type", "object_id", "object", "summary", "changes"]
    assert [(r[0], r[1], r[2], r[6]) for r in rows[1:]] == [
        ("2026-05-02T00:00:00+00:00", "system", "user.deactivate", "may"),
        ("2026-03-01T09:00:00+00:00", "system", "user.create", "march"),
    ]
    export = AuditEntry.objects.get(action="audit.export")
    assert export.actor == admin_client.admin and export.actor_name == "Rae Okafor"
    assert export.changes == {
        "file": "audit-user-2026-01-01-2026-12-31.csv",
        "filters": {"area": "user", "start": "2026-01-01", "end": "2026-12-31"},
    }
    # The next export of everything includes the first export's entry; changes are JSON text.
    rows = _csv(admin_client.get("/audit/export.csv"))
    assert [r[2] for r in rows[1:]] == ["audit.export", "user.deactivate", "agreement.sign", "user.create"]
    assert rows[3][7] == '{"sla_hours": [24, 48]}'


def test_export_is_for_admins_only(client, entries):
    client.force_login(UserFactory(role=Role.HEAD_OF_MARKETING))
    assert client.get("/audit/export.csv").status_code == 403
    assert not AuditEntry.objects.filter(action="audit.export").exists()


def test_csv_response_records_an_export_only_when_told_what_it_is():
    user = UserFactory(username="sam", role=Role.HEAD_OF_SALES)
    csv_response(filename="plain.csv", header=["a"], rows=[[1]])
    assert not AuditEntry.objects.exists()
    csv_response(
        filename="sla rep.csv",
        header=["a"],
        rows=[[1], [2], [3]],
        audit_actor=user,
        audit_what="SLA report",
        audit_filters={"group": "rep"},
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_type, entry.object_repr) == (
        "export.csv",
        user,
        "export",
        "slarep.csv",
    )
    assert entry.summary == "exported SLA report as slarep.csv"
    assert entry.changes == {"file": "slarep.csv", "filters": {"group": "rep"}, "rows": 3}


def test_sla_and_insights_exports_are_recorded(client):
    head = UserFactory(role=Role.HEAD_OF_SALES)
    client.force_login(head)
    assert client.get("/sla/?format=csv&start=2026-01-01&end=2026-01-31&group=team").status_code == 200
    sla = AuditEntry.objects.get(action="export.csv")
    assert sla.actor == head and sla.changes["file"] == "sla-team-2026-01-01-2026-01-31.csv"
    assert sla.changes["filters"] == {"start": "2026-01-01", "end": "2026-01-31", "group": "team"}
    assert client.get("/insights/export/kpis.csv").status_code == 200
    insights = AuditEntry.objects.filter(action="export.csv").exclude(pk=sla.pk).get()
    assert insights.actor == head and insights.summary.startswith("exported insights kpis as kpis-")
