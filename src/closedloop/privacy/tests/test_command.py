import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from closedloop.audit.models import AuditEntry
from closedloop.crm.models import Contact
from closedloop.privacy.tests.builders import EMAIL, build_person


@pytest.fixture
def zoe(admin):
    return build_person(staff=admin).contact


@pytest.mark.django_db
def test_export_by_email_prints_json(zoe):
    out = StringIO()
    call_command("privacy", "export", "--contact", EMAIL.upper(), stdout=out)
    data = json.loads(out.getvalue())
    assert data["contact"]["id"] == zoe.pk
    assert AuditEntry.objects.get(action="privacy.export").actor is None


@pytest.mark.django_db
def test_export_to_file(zoe, tmp_path):
    target = tmp_path / "out.json"
    call_command("privacy", "export", "--contact", str(zoe.pk), "--output", str(target), stdout=StringIO())
    assert json.loads(target.read_text(encoding="utf-8"))["contact"]["last_name"] == "Quartermain"


@pytest.mark.django_db
def test_erase_needs_yes_and_refuses_a_second_time(zoe):
    with pytest.raises(CommandError, match="add --yes to confirm"):
        call_command("privacy", "erase", "--contact", str(zoe.pk), "--reason", "request")
    assert Contact.objects.get(pk=zoe.pk).email == EMAIL
    out = StringIO()
    call_command("privacy", "erase", "--contact", EMAIL, "--reason", "request", "--yes", stdout=out)
    assert out.getvalue().startswith(f"erased contact {zoe.pk}: ")
    with pytest.raises(CommandError, match=f"contact {zoe.pk} has already been erased"):
        call_command("privacy", "erase", "--contact", str(zoe.pk), "--reason", "request", "--yes")


@pytest.mark.django_db
def test_unknown_contact_is_a_clear_error(db):
    with pytest.raises(CommandError, match=r"no contact 'nobody@example\.com'"):
        call_command("privacy", "export", "--contact", "nobody@example.com")
    with pytest.raises(CommandError, match="neither a contact id nor an email address"):
        call_command("privacy", "export", "--contact", "Zoë")
