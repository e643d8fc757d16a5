"""The import pages: upload → map → preview → run → progress and summary, and who may use them."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from closedloop.accounts.roles import Role
from closedloop.crm.models import Contact, StageTransition
from closedloop.imports import services
from closedloop.imports.models import ImportJob
from closedloop.imports.progress import Progress, progress_forget, progress_register
from tests.factories import UserFactory

from .conftest import csv_text

pytestmark = pytest.mark.django_db

HUBSPOT = [
    [
        "First Name",
        "Last Name",
        "Email",
        "Phone Number",
        "Company Name",
        "Job Title",
        "Lifecycle Stage",
        "Contact owner",
        "Create Date",
        "Original Source",
        "Favourite colour",
    ],
    [
        "Ada",
        "Lovelace",
        "ada@example.com",
        "",
        "Acme, Inc.",
        "CTO",
        "Lead",
        "",
        "2024-03-01 10:00",
        "Organic Search",
        "teal",
    ],
    ["Ada", "", "ADA@example.com", "+44 1", "ACME inc", "", "Marketing Qualified Lead", "", "", "", ""],
    ["Bob", "Byte", "bob@example.com", "", "Zeta GmbH", "", "Customer", "", "03/31/2024", "Referrals", "red"],
]


@pytest.fixture
def inline_runs(monkeypatch):
    """Run the import in the request's thread: the test's transaction is invisible to others."""
    monkeypatch.setattr(services, "run_in_background", lambda function, **kwargs: function(**kwargs))


def _upload(client, rows, target="contacts", name="hubspot.csv"):
    upload = SimpleUploadedFile(name, csv_text(rows).encode(), content_type="text/csv")
    return client.post("/imports/", {"file": upload, "target": target})


def test_full_flow_upload_map_preview_import(marketer_client, inline_runs):
    page = marketer_client.get("/imports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="file"' in html and 'name="target"' in html and ">Upload</button>" in html

    response = _upload(marketer_client, HUBSPOT)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/map"
    assert job.preset == "hubspot_contacts" and job.mapping["Favourite colour"] == ""

    html = marketer_client.get(f"/imports/{job.pk}/map").content.decode()
    assert 'name="map-0"' in html and 'name="map-10"' in html and ">Preview</button>" in html
    assert re.search(r'<select name="map-2"[^>]*>.*?<option value="email" selected>', html, re.S)
    assert "<code>ada@example.com</code>" in html  # sample values

    form = {f"map-{i}": job.mapping[h] for i, h in enumerate(job.layout["headers"])}
    form["map-10"] = "property"  # keep "Favourite colour" on the contact
    response = marketer_client.post(f"/imports/{job.pk}/map", {**form, "action": "preview"})
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/preview"
    assert Contact.objects.count() == 0

    html = marketer_client.get(f"/imports/{job.pk}/preview").content.decode()
    assert 'data-count="created">2<' in html and 'data-count="merged">1<' in html
    assert "“Acme, Inc.” = “ACME inc”" in html
    assert ">Import</button>" in html

    response = marketer_client.post(f"/imports/{job.pk}/run")
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    html = marketer_client.get(f"/imports/{job.pk}/").content.decode()
    assert "Import finished" in html
    assert 'data-count="created">2<' in html and 'data-count="accounts_created">2<' in html
    assert Contact.objects.count() == 2 and StageTransition.objects.count() == 2
    assert Contact.objects.get(email="ada@example.com").properties["favourite_colour"] == "teal"
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_by.username) == ("done", 3, "mia")
    assert "hubspot.csv" in marketer_client.get("/imports/").content.decode()


def test_invalid_rows_block_the_import_until_skipped(marketer_client, inline_runs):
    rows = [
        ["Email", "Create Date"],
        ["a@example.com", "2024-01-01"],
        ["b@example", "2024-01-01"],
        ["c@example.com", "soon"],
    ]
    _upload(marketer_client, rows)
    job = ImportJob.objects.get()
    form = {f"map-{i}": job.mapping[h] for i, h in enumerate(job.layout["headers"])}
    marketer_client.post(f"/imports/{job.pk}/map", {**form, "action": "preview"})
    html = marketer_client.get(f"/imports/{job.pk}/preview").content.decode()
    assert "2 errors in 2 rows" in html
    assert (
        '<td class="num">3</td><td>Email</td><td>&#x27;b@example&#x27; is not a valid email address</td>'
        in html
    )
    assert '<td class="num">4</td><td>Create Date</td>' in html
    assert 'name="skip_invalid"' in html

    response = marketer_client.post(f"/imports/{job.pk}/run")
    assert response.status_code == 400
    assert "2 rows are invalid" in response.content.decode()
    assert Contact.objects.count() == 0

    response = marketer_client.post(f"/imports/{job.pk}/run", {"skip_invalid": "on"})
    assert response.status_code == 302
    assert list(Contact.objects.values_list("email", flat=True)) == ["a@example.com"]
    html = marketer_client.get(f"/imports/{job.pk}/").content.decode()
    assert "Import finished" in html and 'data-count="skipped">2<' in html


def test_upload_of_a_broken_file_is_refused_with_the_reason(marketer_client):
    upload = SimpleUploadedFile("dup.csv", b"Email,Name,email\na,b,c\n", content_type="text/csv")
    response = marketer_client.post("/imports/", {"file": upload, "target": "contacts"})
    assert response.status_code == 400
    assert "Duplicate column names: &quot;email&quot; (columns 1 and 3)" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_mapping_errors_are_shown_and_keep_the_choice(marketer_client):
    _upload(marketer_client, [["Email", "Work Email"], ["a@example.com", "b@example.com"]])
    job = ImportJob.objects.get()
    response = marketer_client.post(
        f"/imports/{job.pk}/map", {"map-0": "email", "map-1": "email", "action": "preview"}
    )
    assert response.status_code == 400
    assert "both map to Email" in response.content.decode()


def test_choosing_a_preset_remaps_the_columns(marketer_client):
    _upload(
        marketer_client,
        [["First Name", "Last Name", "Email", "Company / Account"], ["A", "B", "a@example.com", "X"]],
    )
    job = ImportJob.objects.get()
    assert job.preset == ""  # too few columns to detect
    marketer_client.post(f"/imports/{job.pk}/map", {"preset": "salesforce_leads", "action": "preset"})
    job.refresh_from_db()
    assert job.preset == "salesforce_leads" and job.mapping["Company / Account"] == "company"


def test_progress_fragment_polls_while_running(marketer_client, marketer):
    job = ImportJob.objects.create(
        original_name="big.csv", target="contacts", status="running", created_by=marketer
    )
    progress = progress_register(job.pk, Progress(bytes_total=1000))
    progress.read(rows=4000, bytes_read=500)
    try:
        html = marketer_client.get(f"/imports/{job.pk}/progress").content.decode()
        assert 'hx-trigger="every 1s"' in html and f'hx-get="/imports/{job.pk}/progress"' in html
        assert '<progress id="import-progress-bar" max="100" value="25">' in html
        assert "4,000 read" in html
        progress.start_writing(100)
        progress.wrote(50)
        assert 'value="75"' in marketer_client.get(f"/imports/{job.pk}/progress").content.decode()
    finally:
        progress_forget(job.pk)
    job.status, job.summary = (
        "done",
        {
            "dry_run": False,
            "rows": 10,
            "created": 10,
            "updated": 0,
            "merged": 0,
            "invalid": 0,
            "skipped": 0,
            "error_count": 0,
            "duration_s": 1.5,
        },
    )
    job.save()
    html = marketer_client.get(f"/imports/{job.pk}/progress").content.decode()
    assert "Import finished" in html and "hx-trigger" not in html and "1.50 s" in html


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.PARTNER])
def test_roles_without_import_permission_get_403(client, role, marketer):
    job = ImportJob.objects.create(original_name="x.csv", target="contacts", created_by=marketer)
    client.force_login(UserFactory(role=role))
    for path in [
        "/imports/",
        f"/imports/{job.pk}/",
        f"/imports/{job.pk}/map",
        f"/imports/{job.pk}/preview",
        f"/imports/{job.pk}/progress",
    ]:
        assert client.get(path).status_code == 403, path
    assert client.post(f"/imports/{job.pk}/run").status_code == 403
    upload = SimpleUploadedFile("a.csv", b"Email\na@example.com\n")
    assert client.post("/imports/", {"file": upload, "target": "contacts"}).status_code == 403
    assert ImportJob.objects.count() == 1


@pytest.mark.parametrize("role", [Role.ADMIN, Role.HEAD_OF_MARKETING, Role.HEAD_OF_SALES, Role.MARKETER])
def test_data_admin_roles_may_import(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get("/imports/").status_code == 200


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/imports/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_unknown_job_is_404(marketer_client):
    assert marketer_client.get("/imports/999/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_run_in_a_background_thread_commits_and_records_the_outcome(client, monkeypatch):
    """The real path: a thread with its own database connection, as in the web process."""
    threads = []
    original = services.run_in_background
    monkeypatch.setattr(
        services, "run_in_background", lambda function, **kw: threads.append(original(function, **kw))
    )
    client.force_login(UserFactory(role=Role.MARKETER))
    _upload(client, [["Email", "Company"], ["a@example.com", "Acme"], ["b@example.com", "Beta"]])
    job = ImportJob.objects.get()
    client.post(f"/imports/{job.pk}/map", {"map-0": "email", "map-1": "company", "action": "preview"})
    assert client.post(f"/imports/{job.pk}/run").status_code == 302
    threads[0].join(timeout=30)
    assert not threads[0].is_alive()
    job.refresh_from_db()
    assert (job.status, job.summary["created"]) == ("done", 2)
    assert Contact.objects.count() == 2
    assert "Import finished" in client.get(f"/imports/{job.pk}/").content.decode()


def test_preview_of_an_unreadable_file_shows_the_reason(marketer_client):
    text = "Email,Note\na@example.com,short\nb@example.com," + "x" * 200_000 + "\n"
    marketer_client.post(
        "/imports/", {"file": SimpleUploadedFile("big.csv", text.encode()), "target": "contacts"}
    )
    job = ImportJob.objects.get()
    response = marketer_client.post(
        f"/imports/{job.pk}/map", {"map-0": "email", "map-1": "", "action": "preview"}
    )
    assert response.status_code == 400
    assert "field larger than field limit" in response.content.decode()
