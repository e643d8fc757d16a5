"""Periodic jobs run once per interval whoever asks, and a failing job is recorded, not raised."""

from datetime import UTC, datetime, timedelta

import pytest

from closedloop.jobs.models import JobRun
from closedloop.jobs.schedule import Job, jobs_run_due

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 15, 12, tzinfo=UTC)


def test_a_job_runs_once_per_interval_however_often_workers_ask():
    calls = []
    job = Job("probe", timedelta(minutes=5), lambda now: calls.append(now) or "fine")
    assert jobs_run_due(now=NOON, jobs=(job,)) == ["probe"]
    assert jobs_run_due(now=NOON + timedelta(minutes=4), jobs=(job,)) == []  # a second worker, too soon
    assert jobs_run_due(now=NOON + timedelta(minutes=5), jobs=(job,)) == ["probe"]
    assert calls == [NOON, NOON + timedelta(minutes=5)]
    run = JobRun.objects.get(name="probe")
    assert (run.runs, run.last_result, run.last_error) == (2, "fine", "")


def test_a_failing_job_records_its_error_and_the_others_still_run():
    def broken(now):
        raise RuntimeError("detector exploded")

    ok = Job("ok", timedelta(hours=1), lambda now: "done")
    assert jobs_run_due(now=NOON, jobs=(Job("broken", timedelta(hours=1), broken), ok)) == ["broken", "ok"]
    assert "detector exploded" in JobRun.objects.get(name="broken").last_error
    assert JobRun.objects.get(name="ok").last_result == "done"


def test_the_real_jobs_run_on_an_empty_database(capsys):
    from django.core.management import call_command

    call_command("jobs", "run", "--now", "2026-06-15T12:00:00Z")
    out = capsys.readouterr().out
    assert "ran: sla, alarms, scores, meetings, webhooks" in out
    assert not JobRun.objects.exclude(last_error="").exists()
