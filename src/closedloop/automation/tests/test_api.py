"""The workflow API: CRUD, validation errors that name the step, roles."""

import pytest

from closedloop.accounts.services import api_token_create
from closedloop.automation.models import Enrollment, Workflow
from closedloop.automation.templates_library import SEED_003_EBOOK_NURTURE
from closedloop.automation.tests.builders import contact_in_stage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/automation/workflows"


def _auth(role):
    user = UserFactory(role=role)
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t')[1]}"}


@pytest.fixture
def marketer():
    return _auth("marketer")


def test_create_read_update_archive(client, marketer):
    created = client.post(
        BASE,
        {"name": "Ebook", "definition": SEED_003_EBOOK_NURTURE},
        content_type="application/json",
        **marketer,
    )
    assert created.status_code == 201, created.content
    wf = created.json()
    assert wf["status"] == "draft" and wf["version"] == 1
    listed = client.get(BASE, **marketer).json()
    assert [w["id"] for w in listed["items"]] == [wf["id"]]
    changed = {**SEED_003_EBOOK_NURTURE, "reentry": "after_exit"}
    patched = client.patch(
        f"{BASE}/{wf['id']}", {"definition": changed}, content_type="application/json", **marketer
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert client.delete(f"{BASE}/{wf['id']}", **marketer).json()["status"] == "archived"


def test_invalid_definition_gives_errors_naming_the_step(client, marketer):
    bad = {
        "trigger": {"type": "stage", "stage": "iql"},
        "steps": [
            {"id": "hello", "type": "send_email", "subject": "Hi", "text": "x"},
            {"id": "pause", "type": "wait", "duration": "soon"},
        ],
    }
    response = client.post(
        BASE, {"name": "Bad", "definition": bad}, content_type="application/json", **marketer
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "loc": ["definition", "steps", 1, "duration"],
                "msg": "step \"pause\": duration 'soon' is not like 30m, 4h, 3d or 2w",
            }
        ]
    }
    assert not Workflow.objects.exists()


def test_validate_endpoint(client, marketer):
    ok = client.post(
        f"{BASE}/validate",
        {"definition": SEED_003_EBOOK_NURTURE},
        content_type="application/json",
        **marketer,
    )
    assert ok.json() == {"valid": True, "errors": []}
    bad = client.post(
        f"{BASE}/validate",
        {"definition": {"trigger": {"type": "manual"}, "steps": []}},
        content_type="application/json",
        **marketer,
    )
    assert bad.json() == {
        "valid": False,
        "errors": [{"loc": ["definition", "steps"], "msg": "steps must be a non-empty list"}],
    }


def test_activate_enrolls_existing_iqls_and_pause(client, marketer):
    contact_in_stage("iql")
    contact_in_stage("iql")
    wf = client.post(
        BASE,
        {"name": "Ebook", "definition": SEED_003_EBOOK_NURTURE},
        content_type="application/json",
        **marketer,
    ).json()
    assert client.post(f"{BASE}/{wf['id']}/activate", **marketer).json() == {"enrolled": 2}
    assert Enrollment.objects.count() == 2
    assert client.post(f"{BASE}/{wf['id']}/pause", **marketer).json()["status"] == "paused"
    again = client.post(f"{BASE}/{wf['id']}/pause", **marketer)
    assert again.status_code == 422 and again.json()["errors"][0]["loc"] == ["status"]


def test_sales_reps_may_read_but_not_write(client, marketer):
    rep = _auth("sales_rep")
    assert client.get(BASE, **rep).status_code == 200
    response = client.post(
        BASE, {"name": "x", "definition": SEED_003_EBOOK_NURTURE}, content_type="application/json", **rep
    )
    assert response.status_code == 403
    partner = _auth("partner")
    assert client.get(BASE, **partner).status_code == 403
    assert client.get(BASE).status_code == 401


def test_enroll_unknown_contact_is_refused(client, marketer):
    wf = client.post(
        BASE,
        {"name": "M", "definition": {"trigger": {"type": "manual"}, "steps": [{"id": "e", "type": "end"}]}},
        content_type="application/json",
        **marketer,
    ).json()
    client.post(f"{BASE}/{wf['id']}/activate", **marketer)
    response = client.post(
        f"{BASE}/{wf['id']}/enroll", {"contact_ids": [999999]}, content_type="application/json", **marketer
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["contact_ids"]
