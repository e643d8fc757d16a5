import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from closedloop.audit.models import AuditEntry
from closedloop.crm.lifecycle import Stage
from closedloop.crm.models import StageTransition
from closedloop.handoff.models import HandoffStatus, RejectionReason
from closedloop.handoff.services import handoff_accept, handoff_reject, handoff_route
from closedloop.handoff.tests.conftest import NOW, sql_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def handoff(reps, head_of_sales):
    return handoff_route(contact=sql_lead(), now=NOW)  # rep1 by round robin


def test_rejection_reasons_are_seeded():
    codes = set(RejectionReason.objects.filter(active=True).values_list("code", flat=True))
    assert codes == {
        "not_a_fit",
        "no_budget",
        "bad_data",
        "duplicate",
        "wrong_timing",
        "no_response",
        "competitor",
    }


def test_assigned_rep_accepts(handoff, reps):
    handoff_accept(handoff=handoff, by=reps[0], now=NOW)
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.ACCEPTED and handoff.decided_by == reps[0]
    assert handoff.contact.lifecycle_stage == Stage.SQL
    assert AuditEntry.objects.filter(action="handoff.accept", actor=reps[0]).exists()


def test_decided_handoff_cannot_be_decided_again(handoff, reps):
    handoff_accept(handoff=handoff, by=reps[0])
    with pytest.raises(ValidationError):
        handoff_reject(handoff=handoff, reason_code="no_budget", by=reps[0])


def test_reject_without_reason_is_refused(handoff, reps):
    with pytest.raises(ValidationError) as exc:
        handoff_reject(handoff=handoff, reason_code="", comment="meh", by=reps[0])
    assert "reason_code" in exc.value.error_dict
    with pytest.raises(ValidationError):
        handoff_reject(handoff=handoff, reason_code="because", by=reps[0])
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.PENDING
    assert handoff.contact.lifecycle_stage == Stage.SQL


def test_inactive_reason_is_refused(handoff, reps):
    RejectionReason.objects.filter(code="competitor").update(active=False)
    with pytest.raises(ValidationError):
        handoff_reject(handoff=handoff, reason_code="competitor", by=reps[0])


def test_reject_by_another_rep_is_refused(handoff, reps):
    with pytest.raises(PermissionDenied):
        handoff_reject(handoff=handoff, reason_code="no_budget", by=reps[1])
    with pytest.raises(PermissionDenied):
        handoff_accept(handoff=handoff, by=reps[1])


def test_head_of_sales_may_decide_any_lead(handoff, head_of_sales):
    handoff_reject(handoff=handoff, reason_code="duplicate", by=head_of_sales)
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.REJECTED


def test_partner_and_marketer_cannot_accept(handoff, marketer, partner):
    for user in (marketer, partner):
        with pytest.raises(PermissionDenied):
            handoff_accept(handoff=handoff, by=user)


def test_rejection_recycles_to_mql_with_the_reason_in_stage_history(handoff, reps):
    handoff_reject(
        handoff=handoff, reason_code="no_budget", comment="Budget frozen until Q3", by=reps[0], now=NOW
    )
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.REJECTED
    assert handoff.reason_code == "no_budget" and handoff.comment == "Budget frozen until Q3"
    contact = handoff.contact
    assert contact.lifecycle_stage == Stage.MQL
    last = StageTransition.objects.filter(contact=contact).latest("at", "id")
    assert (last.from_stage, last.to_stage, last.by) == (Stage.SQL, Stage.MQL, reps[0])
    assert last.cause == StageTransition.Cause.MANUAL
    assert last.detail == "Rejected by sales: No budget — Budget frozen until Q3"
    entry = AuditEntry.objects.get(action="handoff.reject")
    assert entry.changes["reason_code"] == "no_budget"
