"""Deals and accounts: Salesforce opportunities, re-imports by external ID, account dedup."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from closedloop.crm.models import Account, Deal
from closedloop.imports.services import import_file
from tests.factories import AccountFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

SF_OPPS = [
    "Opportunity ID",
    "Opportunity Name",
    "Account Name",
    "Amount",
    "Stage",
    "Close Date",
    "Opportunity Owner",
    "Created Date",
    "Lead Source",
]


def test_salesforce_opportunities(write_csv):
    owner = UserFactory(first_name="Olga", last_name="Owner")
    path = write_csv(
        [
            SF_OPPS,
            [
                "006A",
                "Acme renewal",
                "Acme, Inc.",
                "$1,200.00",
                "Closed Won",
                "3/31/2024",
                "Olga Owner",
                "1/15/2024",
                "Web",
            ],
            ["006B", "Acme upsell", "ACME inc", "USD 5,000", "Closed Lost", "4/2/2024", "", "2/1/2024", ""],
            ["006C", "Beta pilot", "Beta Ltd", "", "Negotiation/Review", "6/30/2024", "", "3/1/2024", ""],
        ]
    )
    job = import_file(path=path, target="deals")
    assert job.preset == "salesforce_opportunities"
    assert (job.summary["created"], job.summary["accounts_created"]) == (3, 2)
    won, lost, open_deal = (Deal.objects.get(external_id=i) for i in ("006A", "006B", "006C"))
    assert (won.stage, won.amount, won.owner, won.account.name) == (
        "won",
        Decimal("1200.00"),
        owner,
        "Acme, Inc.",
    )
    assert won.closed_at == datetime(2024, 3, 31, tzinfo=UTC)
    assert won.created_at == datetime(2024, 1, 15, tzinfo=UTC)
    assert (lost.stage, lost.amount, lost.account_id) == ("lost", Decimal("5000.00"), won.account_id)
    # An open deal's close date is only expected; the deal is not closed.
    assert (open_deal.stage, open_deal.closed_at, open_deal.amount) == ("proposal", None, Decimal("0.00"))


def test_deals_reimport_updates_by_external_id(write_csv):
    header = ["Opportunity ID", "Opportunity Name", "Stage", "Amount"]
    import_file(path=write_csv([header, ["X1", "First", "Prospecting", "100"]]), target="deals")
    job = import_file(
        path=write_csv([header, ["X1", "", "Closed Won", "150"], ["X2", "Second", "Engaging", "1"]]),
        target="deals",
    )
    assert (job.summary["created"], job.summary["updated"]) == (1, 1)
    deal = Deal.objects.get(external_id="X1")
    assert (deal.name, deal.stage, deal.amount) == ("First", "won", Decimal("150.00"))
    assert Deal.objects.count() == 2


def test_negative_and_malformed_amounts_are_row_errors(write_csv):
    path = write_csv(
        [["Opportunity Name", "Amount", "Stage"], ["A", "-5", "Won"], ["B", "12a", "Won"], ["C", "1", "?"]]
    )
    job = import_file(path=path, target="deals", dry_run=True)
    assert [(e["line"], e["column"]) for e in job.preview["errors"]] == [
        (2, "Amount"),
        (3, "Amount"),
        (4, "Stage"),
    ]
    assert "negative" in job.preview["errors"][0]["message"]
    assert "'12a' is not an amount" in job.preview["errors"][1]["message"]
    assert Deal.objects.count() == 0


def test_deal_contact_email_links_an_existing_contact(write_csv):
    contact = ContactFactory(email="buyer@example.com")
    path = write_csv([["Deal Name", "Email"], ["One", "BUYER@example.com"], ["Two", "ghost@example.com"]])
    job = import_file(path=path, target="deals", mapping_overrides={"Email": "contact_email"})
    assert Deal.objects.get(name="One").contact == contact
    assert Deal.objects.get(name="Two").contact is None
    assert job.summary["deals_without_contact"] == 1


def test_accounts_dedup_in_file_and_against_the_database(write_csv):
    AccountFactory(name="Zeta GmbH", normalized_name="zeta", industry="Retail", employees=10)
    path = write_csv(
        [
            ["Company name", "Industry", "Number of Employees", "Annual Revenue", "Country"],
            ["Acme, Inc.", "Software", "1,200", "$2,500,000", "US"],
            ["ACME inc", "", "1300", "", ""],
            ["zeta", "", "12", "", "DE"],
        ]
    )
    job = import_file(path=path, target="accounts")
    assert (job.summary["created"], job.summary["updated"], job.summary["merged"]) == (1, 1, 1)
    acme = Account.objects.get(normalized_name="acme")
    assert (acme.name, acme.industry, acme.employees) == ("Acme, Inc.", "Software", 1300)
    assert acme.annual_revenue == Decimal("2500000.00")
    zeta = Account.objects.get(normalized_name="zeta")
    # Blank cells never erase what is stored.
    assert (zeta.name, zeta.industry, zeta.employees, zeta.country) == ("Zeta GmbH", "Retail", 12, "DE")
    assert Account.objects.count() == 2


def test_bad_integers_in_accounts(write_csv):
    path = write_csv([["Name", "Employees"], ["Acme", "many"], ["Beta", "12.5"]])
    job = import_file(path=path, target="accounts", dry_run=True)
    assert [(e["line"], e["column"], e["message"]) for e in job.preview["errors"]] == [
        (2, "Employees", "'many' is not a whole number"),
        (3, "Employees", "'12.5' is not a whole number"),
    ]
