"""The builder pages: list, diagram, JSON editing with errors per step, actions, roles."""

import json

import pytest

from closedloop.automation.models import Workflow
from closedloop.automation.templates_library import SEED_003_EBOOK_NURTURE
from closedloop.automation.tests.builders import workflow
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(client):
    user = UserFactory(role="marketer")
    client.force_login(user)
    return user


def test_builder_shows_the_seed_003_flow_as_a_diagram(client, marketer):
    wf = workflow(SEED_003_EBOOK_NURTURE, activate=False, by=marketer)
    page = client.get(f"/automation/{wf.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    for step in ("send_ebook", "remind", "nudge_download", "thank", "make_sql", "notify_sales"):
        assert f'id="step-{step}"' in html
    assert "if opened send_ebook" in html
    assert "move to SQL" in html
    assert 'href="#step-remind">no → remind' in html


def test_saving_a_bad_definition_shows_errors_and_keeps_the_old_one(client, marketer):
    wf = workflow(SEED_003_EBOOK_NURTURE, activate=False, by=marketer)
    broken = json.loads(json.dumps(SEED_003_EBOOK_NURTURE))
    broken["steps"][1]["duration"] = "three days"
    page = client.post(f"/automation/{wf.pk}/edit/", {"definition": json.dumps(broken)})
    assert page.status_code == 422
    assert "step &quot;wait_for_open&quot;: duration" in page.content.decode()
    wf.refresh_from_db()
    assert wf.version == 1 and wf.definition["steps"][1]["duration"] == "3d"
    not_json = client.post(f"/automation/{wf.pk}/edit/", {"definition": "{nope"})
    assert not_json.status_code == 422 and b"not valid JSON" in not_json.content


def test_new_workflow_starts_from_seed_003_and_activates(client, marketer):
    form = client.get("/automation/new/")
    assert b"send_ebook" in form.content
    response = client.post(
        "/automation/new/", {"name": "Ebook", "definition": json.dumps(SEED_003_EBOOK_NURTURE)}
    )
    wf = Workflow.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/automation/{wf.pk}/"
    client.post(f"/automation/{wf.pk}/activate/")
    wf.refresh_from_db()
    assert wf.status == "active"
    assert b"Ebook" in client.get("/automation/").content


def test_sales_rep_sees_but_cannot_change(client):
    rep = UserFactory(role="sales_rep")
    wf = workflow(SEED_003_EBOOK_NURTURE, activate=False)
    client.force_login(rep)
    assert client.get("/automation/").status_code == 200
    page = client.get(f"/automation/{wf.pk}/")
    assert page.status_code == 200 and b"Activate" not in page.content
    assert client.post(f"/automation/{wf.pk}/activate/").status_code == 403
    assert client.post(f"/automation/{wf.pk}/edit/", {"definition": "{}"}).status_code == 403
    assert client.get("/automation/new/").status_code == 403
    wf.refresh_from_db()
    assert wf.status == "draft"


def test_partner_and_anonymous_are_kept_out(client):
    client.force_login(UserFactory(role="partner"))
    assert client.get("/automation/").status_code == 403
    client.logout()
    assert client.get("/automation/outbox/").status_code == 302


def test_outbox_page(client, marketer):
    assert client.get("/automation/outbox/?status=sent").status_code == 200
