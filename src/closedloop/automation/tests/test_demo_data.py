"""The demo's automation records come from the real executor on the demo's IQLs."""

import pytest

from closedloop.automation import demo_data
from closedloop.automation.models import Enrollment, OutboundEmail, OutboxStatus, Workflow
from closedloop.automation.tests.builders import contact_in_stage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_seed_runs_a_sample_through_seed_003():
    UserFactory(username="maya", role="head_of_marketing")
    for i in range(30):
        contact_in_stage("iql", email=f"iql{i}@demo-company.com", first_name=f"Iql{i}")
    lines = []
    demo_data.seed(lines.append)
    wf = Workflow.objects.get()
    assert wf.status == Workflow.Status.ACTIVE and wf.name == "Ebook nurture (seed 003)"
    assert Enrollment.objects.filter(workflow=wf).count() == 30
    ebooks = OutboundEmail.objects.filter(workflow=wf, step_id="send_ebook")
    assert ebooks.count() == 30 and not ebooks.exclude(status=OutboxStatus.SENT).exists()
    # Everyone who did not open got the reminder; the flow moved on for all of them.
    unopened = ebooks.filter(opened_at__isnull=True).count()
    assert OutboundEmail.objects.filter(workflow=wf, step_id="remind").count() == unopened
    assert lines and "30 IQLs enrolled" in lines[0]
