"""The Maven "CRM Sales Opportunities" sample (../shared/datasets, see its SOURCE.md) imported
end to end. Expectations come straight from the CSV files with the csv module.

Its dirty keys and how the import handles them:
- sales_pipeline writes the product "GTXPro", products.csv "GTX Pro": the Maven preset carries
  products.csv's spellings and values are matched by a compact key (case, spaces, punctuation).
- 1,425 pipeline rows have no account (all open deals): they import without an account.
- accounts.csv misspells the sector "technolgy": the preset corrects it to "technology".
- accounts are written "dambase" (lower case) and with legal forms ("Acme Corporation"):
  matched by normalised company name, so the pipeline's names meet accounts.csv's.
- Prospecting deals have no engage_date: they get the import time as creation date.
- The 30 sales agents are not users: with create_owners they become inactive users."""

import csv
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from closedloop.accounts.models import User
from closedloop.crm.models import Account, Deal
from closedloop.imports.plan import ImportOptions
from closedloop.imports.services import import_file

from .conftest import MAVEN, needs_maven

pytestmark = [pytest.mark.django_db, needs_maven]


def _rows(name: str) -> list[dict[str, str]]:
    with (MAVEN / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_maven_accounts_then_pipeline():
    accounts = _rows("accounts.csv")
    pipeline = _rows("sales_pipeline.csv")
    catalogue = [r["product"] for r in _rows("products.csv")]

    job = import_file(path=MAVEN / "accounts.csv", target="accounts")
    assert job.preset == "maven_accounts"
    distinct_names = {r["account"].strip().casefold() for r in accounts}
    assert job.summary["created"] == Account.objects.count() == len(distinct_names) == 85
    misspelt = sum(1 for r in accounts if r["sector"] == "technolgy")
    assert job.summary["value_fixes"] == [
        {"column": "sector", "from": "technolgy", "to": "technology", "rows": misspelt}
    ]
    assert Account.objects.filter(industry="technology").count() == misspelt
    assert not Account.objects.filter(industry="technolgy").exists()
    acme = Account.objects.get(name="Acme Corporation")
    assert acme.annual_revenue == Decimal("1100.04") * 1_000_000  # revenue is in millions of USD

    job = import_file(
        path=MAVEN / "sales_pipeline.csv", target="deals", options=ImportOptions(create_owners=True)
    )
    report = job.summary
    assert job.preset == "maven_pipeline"
    assert report["written"] and report["invalid"] == 0
    assert report["created"] == Deal.objects.count() == len(pipeline) == 8800
    assert (report["accounts_created"], report["accounts_matched"]) == (
        0,
        len({r["account"] for r in pipeline} - {""}),
    )
    assert Account.objects.count() == 85  # every pipeline account met its accounts.csv row

    stages = Counter(r["deal_stage"].lower() for r in pipeline)
    assert dict(Deal.objects.values_list("stage").annotate(n=Count("id"))) == {
        "won": stages["won"],
        "lost": stages["lost"],
        "engaging": stages["engaging"],
        "prospecting": stages["prospecting"],
    }
    won_total = sum(Decimal(r["close_value"]) for r in pipeline if r["deal_stage"] == "Won")
    assert (
        Deal.objects.filter(stage="won").aggregate(s=Sum("amount"))["s"] == won_total == Decimal("10005534")
    )

    # Products: one spelling per catalogue entry; "GTXPro" rows are "GTX Pro" now.
    def compact(s: str) -> str:
        return "".join(s.split()).casefold()

    by_compact = {compact(p): p for p in catalogue}
    expected_products = Counter(by_compact[compact(r["product"])] for r in pipeline)
    assert dict(Deal.objects.values_list("product").annotate(n=Count("id"))) == dict(expected_products)
    gtxpro = sum(1 for r in pipeline if r["product"] == "GTXPro")
    assert {"column": "product", "from": "GTXPro", "to": "GTX Pro", "rows": gtxpro} in report["value_fixes"]

    blank_account = sum(1 for r in pipeline if not r["account"])
    assert Deal.objects.filter(account__isnull=True).count() == blank_account == 1425
    assert report["created_at_defaulted"] == sum(1 for r in pipeline if not r["engage_date"]) == 500
    assert Deal.objects.filter(closed_at__isnull=False).count() == stages["won"] + stages["lost"]

    agents = Counter(r["sales_agent"] for r in pipeline)
    assert report["owners_created"] == User.objects.filter(is_active=False).count() == len(agents) == 30
    moses = User.objects.get(first_name="Moses", last_name="Frase")
    assert Deal.objects.filter(owner=moses).count() == agents["Moses Frase"]

    sample = Deal.objects.get(
        external_id="Z063OYW0"
    )  # "Darcel Schlecht,GTXPro,Isdom,Won,2016-10-25,2017-03-11,4514"
    assert (sample.product, sample.account.name, sample.stage, sample.amount) == (
        "GTX Pro",
        "Isdom",
        "won",
        4514,
    )
    assert (sample.created_at.date().isoformat(), sample.closed_at.date().isoformat()) == (
        "2016-10-25",
        "2017-03-11",
    )
    assert sample.owner.get_full_name() == "Darcel Schlecht"

    # Importing the same export again changes nothing but updates every deal in place.
    again = import_file(path=MAVEN / "sales_pipeline.csv", target="deals")
    assert (again.summary["created"], again.summary["updated"]) == (0, 8800)
    assert Deal.objects.count() == 8800


def test_pipeline_alone_creates_its_accounts_from_names():
    pipeline = _rows("sales_pipeline.csv")
    job = import_file(path=MAVEN / "sales_pipeline.csv", target="deals", dry_run=True)
    assert job.preview["accounts_created"] == len({r["account"] for r in pipeline if r["account"]}) == 85
    assert job.preview["owners_unmatched_count"] == 30
    assert Deal.objects.count() == 0
