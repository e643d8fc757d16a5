"""Contacts import: deduplication, company matching, stage history, all-or-nothing, row errors."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from closedloop.accounts.roles import Role
from closedloop.crm.models import Account, Contact, StageTransition
from closedloop.imports.models import ImportJob
from closedloop.imports.plan import ImportOptions
from closedloop.imports.services import import_file
from tests.factories import AccountFactory, CampaignFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

HUBSPOT = [
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
]


def _counts() -> tuple[int, int, int]:
    return Contact.objects.count(), Account.objects.count(), StageTransition.objects.count()


def test_same_email_with_different_case_is_one_contact(write_csv):
    path = write_csv(
        [
            HUBSPOT,
            [
                "Ann",
                "Lee",
                "Ann.Lee@Example.com",
                "",
                "Acme, Inc.",
                "CTO",
                "Lead",
                "",
                "2024-03-01 10:00",
                "Organic Search",
            ],
            [
                "",
                "",
                "ann.lee@example.COM",
                "+1 555",
                "",
                "",
                "Marketing Qualified Lead",
                "",
                "2024-02-01",
                "",
            ],
        ]
    )
    job = import_file(path=path, target="contacts")
    report = job.summary
    assert (report["created"], report["updated"], report["merged"]) == (1, 0, 1)
    assert report["merges"] == [{"key": "ann.lee@example.com", "line": 3, "into_line": 2}]
    contact = Contact.objects.get()
    assert contact.email == "ann.lee@example.com"
    # Blank cells of the later row keep the earlier values; non-blank ones are newer.
    assert (contact.first_name, contact.title, contact.phone) == ("Ann", "CTO", "+1 555")
    assert contact.lifecycle_stage == "mql"  # the further stage of the two rows
    assert contact.created_at == datetime(2024, 2, 1, tzinfo=UTC)  # the earlier create date
    assert contact.properties == {"original_source": "Organic Search"}


def test_company_spellings_meet_in_one_account(write_csv):
    path = write_csv(
        [
            ["Email", "Company"],
            ["a@acme.example", "Acme, Inc."],
            ["b@acme.example", "ACME inc"],
            ["c@acme.example", "  acme  "],
            ["d@zeta.example", "Zeta GmbH"],
        ]
    )
    job = import_file(path=path, target="contacts")
    assert job.summary["accounts_created"] == 2
    assert job.summary["company_spellings"] == [
        {"name": "Acme, Inc.", "spellings": ["Acme, Inc.", "ACME inc", "acme"], "lines": [2, 3, 4]}
    ]
    acme = Account.objects.get(normalized_name="acme")
    assert acme.name == "Acme, Inc."  # the first spelling in the file names the account
    assert acme.contacts.count() == 3


def test_existing_contacts_and_accounts_are_matched_not_duplicated(write_csv):
    existing_account = AccountFactory(name="Acme Corporation", normalized_name="acme")
    ContactFactory(email="ann@example.com", first_name="Ann", title="Buyer", lifecycle_stage="sql")
    path = write_csv(
        [
            ["Email", "First Name", "Job Title", "Company", "Lifecycle Stage"],
            ["ANN@example.com", "", "Head of Ops", "ACME Corp.", "Lead"],
            ["new@example.com", "Neo", "", "Acme", "Customer"],
        ]
    )
    before = _counts()
    job = import_file(path=path, target="contacts")
    assert (job.summary["created"], job.summary["updated"]) == (1, 1)
    assert (job.summary["accounts_created"], job.summary["accounts_matched"]) == (0, 1)
    assert _counts() == (before[0] + 1, before[1], before[2] + 1)
    ann = Contact.objects.get(email="ann@example.com")
    assert (ann.first_name, ann.title, ann.account_id) == ("Ann", "Head of Ops", existing_account.pk)
    # An import never moves a contact back in the funnel: sql stays sql although the file says Lead.
    assert ann.lifecycle_stage == "sql"


def test_created_contacts_get_an_import_stage_transition(write_csv):
    importer = UserFactory(role=Role.MARKETER)
    path = write_csv(
        [["Email", "Lifecycle Stage", "Create Date"], ["x@example.com", "MQL", "2024-05-02 08:30"]]
    )
    job = import_file(path=path, target="contacts", by=importer)
    transition = StageTransition.objects.get()
    assert (transition.from_stage, transition.to_stage, transition.cause) == ("", "mql", "import")
    assert transition.at == datetime(2024, 5, 2, 8, 30, tzinfo=UTC)
    assert transition.by == importer
    assert f"#{job.pk}" in transition.detail


def test_forward_stage_move_on_update_is_recorded(write_csv):
    contact = ContactFactory(email="up@example.com", lifecycle_stage="iql")
    import_file(
        path=write_csv([["Email", "Lifecycle Stage"], ["up@example.com", "Customer"]]), target="contacts"
    )
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "customer"
    move = StageTransition.objects.get(contact=contact)
    assert (move.from_stage, move.to_stage, move.cause) == ("iql", "customer", "import")


def test_naive_create_dates_are_read_in_the_configured_time_zone(write_csv, settings):
    settings.TIME_ZONE = "America/New_York"
    import_file(
        path=write_csv([["Email", "Create Date"], ["tz@example.com", "2024-01-15 09:00"]]), target="contacts"
    )
    assert Contact.objects.get().created_at == datetime(2024, 1, 15, 14, 0, tzinfo=UTC)


def test_a_failing_row_leaves_the_database_unchanged(write_csv):
    ContactFactory(email="keep@example.com", first_name="Keep")
    before = _counts()
    path = write_csv(
        [
            ["Email", "First Name", "Company", "Create Date"],
            ["fine@example.com", "Fine", "New Co", "2024-01-01"],
            ["keep@example.com", "Changed", "", ""],
            ["broken@example.com", "Broken", "Other Co", "2024-13-45"],
        ]
    )
    job = import_file(path=path, target="contacts")
    assert _counts() == before
    assert Contact.objects.get(email="keep@example.com").first_name == "Keep"
    assert job.status == ImportJob.Status.FAILED
    assert job.summary["written"] is False
    assert "1 of 3 rows are invalid" in job.error
    assert job.summary["errors"] == [
        {"line": 4, "column": "Create Date", "message": job.summary["errors"][0]["message"]}
    ]


def test_skip_invalid_imports_the_valid_rows_only(write_csv):
    path = write_csv(
        [
            ["Email", "First Name"],
            ["ok@example.com", "Ok"],
            ["not-an-email", "Bad"],
            ["ok2@example.com", "Ok2"],
        ]
    )
    job = import_file(path=path, target="contacts", options=ImportOptions(skip_invalid=True))
    assert job.status == ImportJob.Status.DONE
    assert (job.summary["created"], job.summary["skipped"]) == (2, 1)
    assert set(Contact.objects.values_list("email", flat=True)) == {"ok@example.com", "ok2@example.com"}


def test_each_bad_value_is_reported_with_line_and_column(write_csv):
    path = write_csv(
        "Email,Create Date,Lifecycle Stage,Job Title\n"
        "good@example.com,2024-01-01,Lead,CTO\n"
        "bad@,2024-01-01,Lead,CTO\n"
        "\n"
        "c@example.com,31/12/2024,Lead,CTO\n"
        "d@example.com,2024-01-01,Hot,CTO\n"
        "e@example.com,2024-01-01\n"
        f"f@example.com,2024-01-01,Lead,{'x' * 200}\n"
        ",,,\n"
        ",,Lead,CTO\n"
    )
    job = import_file(path=path, target="contacts", dry_run=True)
    errors = [(e["line"], e["column"], e["message"]) for e in job.preview["errors"]]
    assert errors == [
        (3, "Email", "'bad@' is not a valid email address"),
        (5, "Create Date", errors[1][2]),
        (6, "Lifecycle Stage", errors[2][2]),
        (7, "", "the row has 2 values but the header has 4 columns"),
        (8, "Job Title", "is 200 characters long; at most 160 fit"),
        (10, "Email", "the row has neither an email nor a name"),
    ]
    assert "looks day-first" in errors[1][2]
    assert "'Hot' is not a lifecycle stage" in errors[2][2]
    assert (job.preview["rows"], job.preview["invalid"], job.preview["created"]) == (7, 6, 1)
    assert Contact.objects.count() == 0


def test_full_name_is_split_and_contacts_without_email_are_created(write_csv):
    path = write_csv(
        [["Name", "Company"], ["Lovelace, Ada", "Analytical Engines"], ["Grace Brewster Hopper", ""]]
    )
    job = import_file(path=path, target="contacts", mapping_overrides={"Name": "full_name"})
    assert job.summary["created"] == 2
    names = set(Contact.objects.values_list("first_name", "last_name", "email"))
    assert names == {("Ada", "Lovelace", None), ("Grace", "Brewster Hopper", None)}


def test_owners_match_users_by_email_username_or_name(write_csv):
    rep = UserFactory(username="sam", first_name="Sam", last_name="Seller", email="sam@corp.example")
    path = write_csv(
        [
            ["Email", "Contact owner"],
            ["1@example.com", "Sam Seller"],
            ["2@example.com", "SAM@corp.example"],
            ["3@example.com", "sam"],
            ["4@example.com", "Nobody Known"],
        ]
    )
    job = import_file(path=path, target="contacts")
    owners = dict(Contact.objects.values_list("email", "owner_id"))
    assert owners == {
        "1@example.com": rep.pk,
        "2@example.com": rep.pk,
        "3@example.com": rep.pk,
        "4@example.com": None,
    }
    assert job.summary["owners_unmatched"] == {"Nobody Known": 1}
    assert Contact.objects.get(email="4@example.com").properties["owner"] == "Nobody Known"


def test_create_owners_makes_inactive_users(write_csv):
    path = write_csv(
        [["Email", "Contact owner"], ["1@example.com", "Nia Newrep"], ["2@example.com", "nia  newrep"]]
    )
    job = import_file(path=path, target="contacts", options=ImportOptions(create_owners=True))
    assert job.summary["owners_created"] == 1
    contact = Contact.objects.get(email="2@example.com")
    assert (contact.owner.first_name, contact.owner.last_name) == ("Nia", "Newrep")
    assert not contact.owner.is_active and not contact.owner.has_usable_password()


def test_campaign_column_links_the_first_touch(write_csv):
    campaign = CampaignFactory(name="Spring Webinar", utm_campaign="spring-webinar")
    path = write_csv(
        [["Email", "Campaign"], ["a@example.com", "spring-webinar"], ["b@example.com", "Unknown"]]
    )
    job = import_file(path=path, target="contacts", dry_run=True)
    assert job.preview["errors"][0]["line"] == 3
    assert "no campaign is named 'Unknown'" in job.preview["errors"][0]["message"]
    import_file(path=path, target="contacts", options=ImportOptions(skip_invalid=True))
    assert Contact.objects.get().source_campaign == campaign


def test_mapping_problems_are_refused_before_reading(write_csv):
    path = write_csv([["Email", "Work Email"], ["a@example.com", "b@example.com"]])
    with pytest.raises(ValidationError, match="both map to Email"):
        import_file(path=path, target="contacts", mapping_overrides={"Work Email": "email"})
    with pytest.raises(ValidationError, match="no column 'Mail'"):
        import_file(path=path, target="contacts", mapping_overrides={"Mail": "email"})


def test_reimport_is_idempotent(write_csv):
    path = write_csv([["Email", "Company"], ["a@example.com", "Acme"], ["b@example.com", "Beta"]])
    import_file(path=path, target="contacts")
    before = _counts()
    job = import_file(path=path, target="contacts")
    assert (job.summary["created"], job.summary["updated"], job.summary["accounts_created"]) == (0, 2, 0)
    assert _counts() == before


def test_a_written_import_leaves_one_audit_entry(write_csv):
    from closedloop.audit.models import AuditEntry

    importer = UserFactory(role=Role.MARKETER)
    path = write_csv([["Email"], ["a@example.com"], ["b@example.com"], ["A@example.com"]])
    job = import_file(path=path, target="contacts", by=importer)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == ("import.run", importer, str(job.pk))
    assert entry.changes["created"] == 2 and entry.changes["merged"] == 1
    assert "2 created" in entry.summary
    import_file(path=write_csv([["Email"], ["bad"]]), target="contacts")  # refused: no entry
    import_file(path=path, target="contacts", dry_run=True)  # dry run: no entry
    assert AuditEntry.objects.count() == 1
