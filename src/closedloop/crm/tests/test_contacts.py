"""Contact upsert (service and API), company name normalisation and stage history."""

import json

import pytest
from django.core.exceptions import ValidationError

from closedloop.accounts.roles import Role
from closedloop.crm.lifecycle import stage_rank, stages_reached
from closedloop.crm.models import Account, Contact, StageTransition
from closedloop.crm.names import normalize_company_name
from closedloop.crm.services import contact_change_stage, contact_upsert
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Acme, Inc.", "acme"),
        ("  ACME inc ", "acme"),
        ("Café Zürich GmbH", "cafe zurich"),
        ("The Co", "the"),  # one legal suffix is dropped, the name itself is kept
        ("Inc", "inc"),  # a name that is only a suffix stays
        ("Blue-Sky Labs Ltd.", "blue sky labs"),
    ],
)
def test_company_names_normalise(raw, normalized):
    assert normalize_company_name(raw) == normalized


def test_stage_ranks_treat_churned_as_past_customer():
    assert stages_reached("mql") == ("visitor", "iql", "mql")
    assert stage_rank("churned") == stage_rank("customer")


@pytest.mark.django_db
class TestContactUpsert:
    def test_creates_then_updates_by_email_case_insensitively(self):
        contact, created = contact_upsert(
            email="Ann@Example.com", fields={"first_name": "Ann"}, company="Acme Inc"
        )
        assert created and contact.email == "ann@example.com"
        again, created_again = contact_upsert(
            email="ANN@example.com", fields={"title": "COO"}, company="ACME"
        )
        assert not created_again and again.pk == contact.pk
        again.refresh_from_db()
        assert (again.first_name, again.title) == ("Ann", "COO")  # blank fields did not erase
        assert Account.objects.count() == 1

    def test_stage_change_is_recorded_with_cause(self):
        user = UserFactory()
        contact, _ = contact_upsert(email="a@b.co", fields={}, lifecycle_stage="mql", by=user)
        history = list(
            StageTransition.objects.filter(contact=contact).values_list("from_stage", "to_stage", "cause")
        )
        assert history == [("", "visitor", "api"), ("visitor", "mql", "api")]
        assert contact_change_stage(contact=contact, to_stage="mql", cause="manual") is None

    def test_bad_input_names_the_field_and_stores_nothing(self):
        with pytest.raises(ValidationError) as exc:
            contact_upsert(email="not an email", fields={})
        assert "email" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            contact_upsert(email="a@b.co", fields={}, lifecycle_stage="hot")
        assert "lifecycle_stage" in exc.value.message_dict
        assert Contact.objects.count() == 0  # the transaction rolled back the half-made contact


@pytest.mark.django_db
class TestContactApi:
    def post(self, client, body):
        return client.post("/api/v1/contacts/upsert", data=json.dumps(body), content_type="application/json")

    def test_upsert_and_read_back(self, client):
        client.force_login(UserFactory(role=Role.SALES_REP))
        resp = self.post(client, {"email": "zoë@exämple.com", "first_name": "Zoë", "company": "Globex GmbH"})
        assert resp.status_code == 200, resp.content
        body = resp.json()
        assert body["created"] is True and body["contact"]["company"] == "Globex GmbH"
        listed = client.get("/api/v1/contacts?q=glob").json()
        assert listed["count"] == 1 and listed["items"][0]["first_name"] == "Zoë"
        detail = client.get(f"/api/v1/contacts/{body['contact']['id']}")
        assert detail.json()["email"] == "zoë@exämple.com"

    def test_wrong_types_and_unknown_stage_are_422_with_locations(self, client):
        client.force_login(UserFactory(role=Role.SALES_REP))
        resp = self.post(client, {"email": 42, "lifecycle_stage": "hot", "properties": "x"})
        assert resp.status_code == 422
        locs = {tuple(e["loc"]) for e in resp.json()["errors"]}
        assert {("email",), ("lifecycle_stage",), ("properties",)} <= locs
        assert Contact.objects.count() == 0

    def test_missing_contact_is_404(self, client):
        client.force_login(UserFactory(role=Role.SALES_REP))
        assert client.get("/api/v1/contacts/999999").status_code == 404
