"""`closedloop import`: summary on stdout, progress on stderr, errors naming line and column."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from closedloop.crm.models import Contact
from closedloop.imports.models import ImportJob
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_prints_summary_and_progress(write_csv):
    path = write_csv([["Email", "Company"], ["a@example.com", "Acme, Inc."], ["A@example.com", "ACME inc"]])
    out, err = _run(str(path), "--target", "contacts")
    assert "Import finished: contacts from" in out
    assert "created                 1" in out
    assert "merged duplicates       1" in out
    assert "'Acme, Inc.' = 'ACME inc'" in out
    assert "100% done" in err and "[####################]" in err
    job = ImportJob.objects.get()
    assert (job.source, job.status, job.summary["created"]) == ("cli", "done", 1)


def test_dry_run_writes_nothing_and_json_is_machine_readable(write_csv):
    path = write_csv([["Email"], ["a@example.com"], ["b@example.com"]])
    out, _ = _run(str(path), "--target", "contacts", "--dry-run", "--json", "--no-progress")
    report = json.loads(out)
    assert (report["dry_run"], report["created"], report["written"]) == (True, 2, False)
    assert Contact.objects.count() == 0


def test_invalid_rows_fail_the_command_with_line_and_column(write_csv):
    path = write_csv(
        [["Email", "Create Date"], ["a@example.com", "2024-01-01"], ["b@example.com", "someday"]]
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 rows are invalid; nothing was imported"):
        call_command("import", str(path), "--target", "contacts", "--no-progress", stdout=out, stderr=err)
    assert """line 3, column "Create Date": 'someday' is not a date""" in out.getvalue()
    assert Contact.objects.count() == 0
    _run(str(path), "--target", "contacts", "--skip-invalid", "--no-progress")
    assert Contact.objects.count() == 1


def test_map_overrides_and_preset_option(write_csv):
    path = write_csv([["Mail", "Role", "Ignored"], ["a@example.com", "CTO", "x"]])
    _run(str(path), "--target", "contacts", "--map", "Mail=email", "--map", "role=title", "--map", "Ignored=")
    assert Contact.objects.get().title == "CTO"
    with pytest.raises(CommandError, match="'colour' is not a contacts field"):
        _run(str(path), "--target", "contacts", "--map", "Role=colour")
    with pytest.raises(CommandError, match='write it as "CSV Column=field"'):
        _run(str(path), "--target", "contacts", "--map", "Role")


def test_target_comes_from_the_preset(write_csv):
    path = write_csv([["Opportunity Name", "Stage"], ["Big one", "Closed Won"]])
    out, _ = _run(str(path), "--preset", "salesforce_opportunities", "--no-progress")
    assert "deals from" in out
    with pytest.raises(CommandError, match="--target"):
        _run(str(path))


def test_file_level_errors(write_csv, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        _run(str(tmp_path / "missing.csv"), "--target", "contacts")
    with pytest.raises(CommandError, match='Duplicate column names: "Email" \\(columns 1 and 2\\)'):
        _run(str(write_csv("Email,Email\n")), "--target", "contacts")


def test_user_option_records_the_importer(write_csv):
    user = UserFactory(username="ops")
    _run(
        str(write_csv([["Email"], ["a@example.com"]])),
        "--target",
        "contacts",
        "--user",
        "ops",
        "--no-progress",
    )
    assert ImportJob.objects.get().created_by == user
    with pytest.raises(CommandError, match="no user named 'ghost'"):
        _run(str(write_csv([["Email"], ["a@example.com"]])), "--target", "contacts", "--user", "ghost")


def test_unreadable_record_fails_cleanly(write_csv):
    path = write_csv("Email,Note\na@example.com,short\nb@example.com," + "x" * 200_000 + "\n")
    with pytest.raises(CommandError, match="Line 3: field larger than field limit"):
        _run(str(path), "--target", "contacts", "--no-progress")
    job = ImportJob.objects.get()
    assert job.status == "failed" and "field larger" in job.error
    assert Contact.objects.count() == 0


def test_rows_naming_an_erased_address_are_left_out_and_said(write_csv):
    from closedloop.privacy.services import contact_erase

    contact_erase(ContactFactory(email="gone@example.com"), by=None, reason="request")
    path = write_csv([["Email", "First Name"], ["GONE@example.com", "Back"], ["new@example.com", "New"]])
    out, _ = _run(str(path), "--target", "contacts", "--json", "--no-progress")
    report = json.loads(out)
    assert report["created"] == 1
    assert any("erased contact" in note for note in report["notes"])
    assert sorted(Contact.objects.exclude(email=None).values_list("email", flat=True)) == ["new@example.com"]


def test_a_job_whose_process_died_is_marked_failed(write_csv):
    """A killed import leaves its job row "running"; the next import (or the periodic job) fails it."""
    import subprocess

    from closedloop.imports.interrupted import import_jobs_fail_interrupted, runner_here

    dead = subprocess.Popen(["true"])
    dead.wait()
    host = runner_here().rpartition(":")[0]
    stale = ImportJob.objects.create(
        original_name="big.csv", target="contacts", status="running", options={"runner": f"{host}:{dead.pid}"}
    )
    alive = ImportJob.objects.create(
        original_name="now.csv", target="contacts", status="running", options={"runner": runner_here()}
    )
    assert import_jobs_fail_interrupted() == 1
    stale.refresh_from_db()
    alive.refresh_from_db()
    assert (stale.status, alive.status) == ("failed", "running")
    assert "interrupted" in stale.error and "nothing was written" in stale.error
    alive.delete()
    stale.status = "running"
    stale.save()
    _run(str(write_csv([["Email"], ["a@example.com"]])), "--target", "contacts", "--no-progress")
    stale.refresh_from_db()
    assert stale.status == "failed"
