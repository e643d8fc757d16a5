"""The personal data pages: contact page, export download, erase confirmation, consent log with
CSV, retention settings — and who may open them."""

import json

import pytest

from closedloop.audit.models import AuditEntry
from closedloop.automation.models import ConsentRecord
from closedloop.crm.models import Contact
from closedloop.privacy.models import ErasureRecord, RetentionPolicy
from closedloop.privacy.tests.builders import EMAIL, build_person


@pytest.fixture
def zoe(admin):
    return build_person(staff=admin).contact


@pytest.mark.django_db
def test_contact_page_shows_counts_and_consent_history(client, head_of_sales, zoe):
    client.force_login(head_of_sales)
    page = client.get(f"/privacy/contacts/{zoe.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="consent-history"' in html and "One-click unsubscribe" in html
    assert f'href="/privacy/contacts/{zoe.pk}/export.json"' in html
    assert f'href="/privacy/contacts/{zoe.pk}/erase/"' in html


@pytest.mark.django_db
def test_contact_detail_links_to_personal_data_only_for_those_who_may(client, head_of_sales, rep, zoe):
    client.force_login(head_of_sales)
    assert 'id="personal-data-link"' in client.get(f"/contacts/{zoe.pk}/").content.decode()
    client.force_login(rep)
    assert 'id="personal-data-link"' not in client.get(f"/contacts/{zoe.pk}/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/privacy/", "/privacy/contacts/{pk}/", "/privacy/contacts/{pk}/export.json",
                                  "/privacy/contacts/{pk}/erase/", "/privacy/consent/"])  # fmt: skip
def test_reps_and_partners_are_refused(client, rep, partner, zoe, path):
    for user in (rep, partner):
        client.force_login(user)
        assert client.get(path.format(pk=zoe.pk)).status_code == 403
    assert not AuditEntry.objects.filter(action="privacy.export").exists()


@pytest.mark.django_db
def test_export_downloads_as_contact_id_json(client, head_of_sales, zoe):
    client.force_login(head_of_sales)
    response = client.get(f"/privacy/contacts/{zoe.pk}/export.json")
    assert response["Content-Disposition"] == f'attachment; filename="contact-{zoe.pk}.json"'
    data = json.loads(response.content)
    assert data["contact"]["email"] == EMAIL and data["contact"]["first_name"] == "Zoë"
    assert AuditEntry.objects.get(action="privacy.export").actor == head_of_sales


@pytest.mark.django_db
def test_erase_needs_the_typed_address(client, head_of_sales, zoe):
    client.force_login(head_of_sales)
    url = f"/privacy/contacts/{zoe.pk}/erase/"
    wrong = client.post(url, {"confirm": "bob@example.com", "reason": "request"})
    assert wrong.status_code == 422
    assert f"Type {EMAIL} exactly" in wrong.content.decode()
    assert Contact.objects.get(pk=zoe.pk).email == EMAIL

    done = client.post(url, {"confirm": EMAIL.upper(), "reason": "request"})
    assert done.status_code == 302 and done["Location"] == f"/privacy/contacts/{zoe.pk}/"
    assert Contact.objects.get(pk=zoe.pk).email is None
    assert ErasureRecord.objects.get().erased_by == head_of_sales
    # The erased contact's page says so; erasing again is refused with a message, not an error page.
    assert 'id="erased-notice"' in client.get(done["Location"]).content.decode()
    again = client.post(url, {"confirm": str(zoe.pk), "reason": "request"}, follow=True)
    assert "has already been erased" in again.content.decode()
    assert ErasureRecord.objects.count() == 1


@pytest.mark.django_db
def test_consent_log_lists_filters_and_exports_csv(client, head_of_sales, zoe):
    client.force_login(head_of_sales)
    page = client.get("/privacy/consent/?status=unsubscribed")
    assert page.status_code == 200
    assert page.content.decode().count("One-click unsubscribe") == 2  # the filter option and one row
    csv_text = b"".join(client.get("/privacy/consent/?format=csv").streaming_content).decode()
    lines = csv_text.strip().splitlines()
    assert lines[0] == "at,contact_id,topic,status,source,recorded_by,detail"
    assert lines[1:] == [
        f"2026-05-10T09:00:00+00:00,{zoe.pk},*,unsubscribed,one_click,,List-Unsubscribe",
        f'2026-05-01T09:00:00+00:00,{zoe.pk},nurture,subscribed,form,,"ebook form, {EMAIL}"',
    ]
    assert ConsentRecord.objects.count() == 2


@pytest.mark.django_db
def test_retention_settings_for_admins_only(client, admin, head_of_sales):
    client.force_login(head_of_sales)
    assert client.get("/privacy/retention/").status_code == 403
    client.force_login(admin)
    assert client.get("/privacy/retention/").status_code == 200
    bad = client.post("/privacy/retention/", {"event_days": "two years", "anonymous_event_days": "30"})
    assert bad.status_code == 422
    assert "&#x27;two years&#x27; is not a whole number" in bad.content.decode()
    assert RetentionPolicy.objects.get().anonymous_event_days == 395
    ok = client.post(
        "/privacy/retention/",
        {
            "event_days": "760",
            "anonymous_event_days": "30",
            "email_body_days": "",
            "inactive_contact_months": "24",
        },
    )
    assert ok.status_code == 302
    policy = RetentionPolicy.objects.get()
    assert (policy.event_days, policy.anonymous_event_days, policy.email_body_days, policy.inactive_contact_months) == (
        760, 30, None, 24,
    )  # fmt: skip
    assert client.post("/privacy/retention/run/").status_code == 302
