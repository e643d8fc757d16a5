"""Small helpers to build workflows and contacts for the automation tests."""

from datetime import UTC, datetime

from closedloop.automation import services
from closedloop.automation.executor import timers_run_due
from closedloop.automation.models import Workflow
from closedloop.crm.services import contact_change_stage
from tests.factories import ContactFactory, UserFactory

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def marketer():
    return UserFactory(role="marketer")


def workflow(definition, *, name="Nurture", activate=True, by=None) -> Workflow:
    by = by or marketer()
    wf = services.workflow_create(name=name, definition=definition, by=by)
    if activate:
        services.workflow_activate(workflow=wf, by=by)
        wf.refresh_from_db()
    return wf


def contact_in_stage(stage="iql", **kwargs):
    contact = ContactFactory(**kwargs)
    contact_change_stage(contact=contact, to_stage=stage, cause="manual")
    return contact


def run_all(now, rounds=20):
    """Run due timers until none are left at `now`."""
    steps = 0
    for _ in range(rounds):
        report = timers_run_due(now=now)
        steps += report.steps
        if report.timers == 0:
            break
    return steps
