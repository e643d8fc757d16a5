"""The durable executor: triggers enroll, timers move contacts on, leases fence stale workers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from closedloop.automation import services
from closedloop.automation.executor import timers_run_due
from closedloop.automation.leases import claim_due
from closedloop.automation.models import (
    Enrollment,
    OutboundEmail,
    OutboundWebhook,
    OutboxStatus,
    SegmentMembership,
    Timer,
)
from closedloop.automation.tests.builders import contact_in_stage, run_all, workflow
from closedloop.automation.triggers import triggers_scan
from closedloop.crm.models import StageTransition
from closedloop.notifications.models import Notification
from tests.factories import ContactFactory, EventFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

EMAIL_THEN_WAIT = {
    "trigger": {"type": "stage", "stage": "iql"},
    "steps": [
        {
            "id": "hello",
            "type": "send_email",
            "subject": "Hi {{ first_name }}",
            "text": "Hello {{ first_name }}",
        },
        {"id": "pause", "type": "wait", "duration": "3d"},
        {"id": "opened", "type": "branch", "condition": {"opened": "hello"}, "then": "sql", "else": "end"},
        {"id": "sql", "type": "update_stage", "stage": "sql"},
    ],
}


def test_stage_trigger_enrolls_only_contacts_entering_after_activation():
    before = contact_in_stage("iql")
    wf = workflow(EMAIL_THEN_WAIT)
    after = contact_in_stage("iql")
    contact_in_stage("mql")  # another stage: not this trigger
    assert triggers_scan() == 1
    assert list(Enrollment.objects.filter(workflow=wf).values_list("contact_id", flat=True)) == [after.pk]
    assert triggers_scan() == 0  # reading the same rows again enrolls nobody twice
    assert before.pk not in Enrollment.objects.values_list("contact_id", flat=True)


def test_include_existing_enrolls_the_current_audience_on_activation():
    a, b = contact_in_stage("iql"), contact_in_stage("iql")
    contact_in_stage("mql")
    definition = {**EMAIL_THEN_WAIT, "trigger": {"type": "stage", "stage": "iql", "include_existing": True}}
    wf = workflow(definition)
    assert set(Enrollment.objects.filter(workflow=wf).values_list("contact_id", flat=True)) == {a.pk, b.pk}
    assert Timer.objects.count() == 2


def test_steps_run_until_a_wait_and_resume_when_it_is_due():
    contact = contact_in_stage("iql", first_name="Grace")
    wf = workflow({**EMAIL_THEN_WAIT, "trigger": {"type": "stage", "stage": "iql", "include_existing": True}})
    now = timezone.now()
    assert run_all(now) == 2  # send_email + wait
    email = OutboundEmail.objects.get()
    assert email.subject == "Hi Grace" and email.status == OutboxStatus.QUEUED
    timer = Timer.objects.get()
    assert timer.step_id == "pause"
    assert timer.due_at == now + timedelta(days=3)
    # Nothing is due before three days have passed.
    assert timers_run_due(now=now + timedelta(days=2, hours=23)).timers == 0
    OutboundEmail.objects.update(opened_at=now + timedelta(days=1))
    assert run_all(now + timedelta(days=3)) == 3  # wait, branch, update_stage
    enrollment = Enrollment.objects.get(workflow=wf)
    assert enrollment.status == Enrollment.Status.COMPLETED
    assert enrollment.steps_run == 5
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "sql"
    transition = StageTransition.objects.filter(contact=contact, to_stage="sql").get()
    assert transition.cause == "automation" and "step sql" in transition.detail


def test_branch_takes_else_when_the_email_was_not_opened():
    contact = contact_in_stage("iql")
    workflow({**EMAIL_THEN_WAIT, "trigger": {"type": "stage", "stage": "iql", "include_existing": True}})
    run_all(timezone.now())
    run_all(timezone.now() + timedelta(days=4))
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "iql"
    assert Enrollment.objects.get().status == Enrollment.Status.COMPLETED


def test_goal_exits_the_contact_early():
    contact = contact_in_stage("iql")
    definition = {
        **EMAIL_THEN_WAIT,
        "trigger": {"type": "stage", "stage": "iql", "include_existing": True},
        "goal": {"rule": 'lifecycle_stage == "customer"'},
    }
    workflow(definition)
    now = timezone.now()
    run_all(now)
    # The wait is three days, but the goal is looked at hourly while waiting.
    assert Timer.objects.get().due_at == now + timedelta(hours=1)
    from closedloop.crm.services import contact_change_stage

    contact_change_stage(contact=contact, to_stage="customer", cause="manual")
    run_all(now + timedelta(hours=1))
    enrollment = Enrollment.objects.get()
    assert enrollment.status == Enrollment.Status.GOAL
    assert not Timer.objects.exists()


def test_reentry_never_and_after_exit():
    contact = contact_in_stage("visitor")
    short = {"trigger": {"type": "stage", "stage": "iql"}, "steps": [{"id": "e", "type": "end"}]}
    never = workflow(short, name="never")
    again = workflow({**short, "reentry": "after_exit"}, name="again")
    from closedloop.crm.services import contact_change_stage

    for stage in ("iql", "mql", "iql"):
        contact_change_stage(contact=contact, to_stage=stage, cause="manual")
        triggers_scan()
        run_all(timezone.now())
    assert Enrollment.objects.filter(workflow=never).count() == 1
    assert Enrollment.objects.filter(workflow=again).count() == 2


def test_event_and_segment_triggers():
    event_wf = workflow(
        {"trigger": {"type": "event", "event": "form_submit"}, "steps": [{"id": "e", "type": "end"}]},
        name="ev",
    )
    segment_wf = workflow(
        {"trigger": {"type": "segment", "segment": "webinar"}, "steps": [{"id": "e", "type": "end"}]},
        name="sg",
    )
    a, b = ContactFactory(), ContactFactory()
    EventFactory(contact=a, type="form_submit")
    EventFactory(contact=b, type="page_view")
    services.segment_contacts_add(key="webinar", contact_ids=[b.pk], by=None)
    triggers_scan()
    assert list(Enrollment.objects.filter(workflow=event_wf).values_list("contact_id", flat=True)) == [a.pk]
    assert list(Enrollment.objects.filter(workflow=segment_wf).values_list("contact_id", flat=True)) == [b.pk]


def test_date_trigger_fires_once_for_its_audience():
    a = contact_in_stage("mql")
    at = timezone.now() + timedelta(hours=2)
    wf = workflow(
        {
            "trigger": {"type": "date", "at": at.isoformat(), "stage": "mql"},
            "steps": [{"id": "e", "type": "end"}],
        }
    )
    assert triggers_scan(now=at - timedelta(minutes=1)) == 0
    assert triggers_scan(now=at) == 1
    assert triggers_scan(now=at + timedelta(days=1)) == 0
    assert Enrollment.objects.get(workflow=wf).contact_id == a.pk


def test_segment_field_notify_and_webhook_steps():
    team = TeamFactory(name="Sales", kind="sales")
    rep = UserFactory(role="sales_rep", team=team)
    owner = UserFactory(role="sales_rep")
    contact = contact_in_stage("iql", owner=owner, first_name="Ada")
    definition = {
        "trigger": {"type": "manual"},
        "steps": [
            {"id": "tag", "type": "add_to_segment", "segment": "hot"},
            {"id": "persona", "type": "update_field", "field": "persona", "value": "ops_manager"},
            {"id": "prop", "type": "update_field", "field": "properties.nurtured", "value": True},
            {
                "id": "tell",
                "type": "notify",
                "to": ["owner", "team:Sales"],
                "title": "{{ first_name }} is hot",
            },
            {"id": "hook", "type": "webhook", "url": "https://hooks.example.com/lead"},
            {"id": "untag", "type": "remove_from_segment", "segment": "cold"},
        ],
    }
    wf = workflow(definition)
    services.workflow_enroll(workflow=wf, contact_ids=[contact.pk], by=None)
    assert run_all(timezone.now()) == 6
    contact.refresh_from_db()
    assert contact.persona == "ops_manager"
    assert contact.properties["nurtured"] is True
    assert SegmentMembership.objects.filter(segment__key="hot", contact=contact).exists()
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted([owner.pk, rep.pk])
    assert Notification.objects.first().title == "Ada is hot"
    hook = OutboundWebhook.objects.get()
    assert hook.payload["contact"]["email"] == contact.email and hook.status == OutboxStatus.QUEUED


def test_a_worker_that_lost_its_lease_cannot_run_the_timer():
    contact_in_stage("iql")
    workflow({**EMAIL_THEN_WAIT, "trigger": {"type": "stage", "stage": "iql", "include_existing": True}})
    now = timezone.now()
    runnable = Timer.objects.all()
    stale_token, ids = claim_due(runnable, now=now, limit=10, lease=timedelta(seconds=30))
    assert len(ids) == 1
    # Within the lease nobody else can claim it...
    assert (
        claim_due(runnable, now=now + timedelta(seconds=10), limit=10, lease=timedelta(seconds=30))[1] == []
    )
    # ...after it, another worker does, and the stale worker's completion is refused.
    fresh_token, again = claim_due(
        runnable, now=now + timedelta(seconds=31), limit=10, lease=timedelta(seconds=30)
    )
    assert again == ids
    from closedloop.automation.executor import _run_timer

    timer = Timer.objects.select_related("enrollment__workflow", "enrollment__contact").get()
    assert _run_timer(timer, stale_token, now) == 0
    assert OutboundEmail.objects.count() == 0
    assert _run_timer(timer, fresh_token, now) == 2
    assert OutboundEmail.objects.count() == 1


def test_failing_step_is_retried_then_fails_the_enrollment(monkeypatch):
    contact_in_stage("iql")
    wf = workflow({**EMAIL_THEN_WAIT, "trigger": {"type": "stage", "stage": "iql", "include_existing": True}})

    def broken(*args, **kwargs):
        raise RuntimeError("template server on fire")

    monkeypatch.setitem(
        __import__("closedloop.automation.steps", fromlist=["RUNNERS"]).RUNNERS, "send_email", broken
    )
    now = timezone.now()
    for attempt in range(5):
        report = timers_run_due(now=now + timedelta(hours=attempt * 2))
        assert report.errors == 1
    enrollment = Enrollment.objects.get(workflow=wf)
    assert enrollment.status == Enrollment.Status.FAILED
    assert "template server on fire" in enrollment.exit_reason
    assert OutboundEmail.objects.count() == 0


def test_paused_workflow_holds_its_timers():
    contact_in_stage("iql")
    wf = workflow({**EMAIL_THEN_WAIT, "trigger": {"type": "stage", "stage": "iql", "include_existing": True}})
    services.workflow_pause(workflow=wf, by=None)
    assert timers_run_due(now=timezone.now()).timers == 0
    services.workflow_activate(workflow=wf, by=None)
    assert timers_run_due(now=timezone.now()).steps == 2


def test_archive_cancels_contacts_in_flight():
    contact_in_stage("iql")
    wf = workflow({**EMAIL_THEN_WAIT, "trigger": {"type": "stage", "stage": "iql", "include_existing": True}})
    assert services.workflow_archive(workflow=wf, by=None) == 1
    assert Enrollment.objects.get().status == Enrollment.Status.CANCELLED
    assert not Timer.objects.exists()
