"""Preset detection from headers and the suggested column mapping."""

import pytest

from closedloop.imports.presets import PRESETS, mapping_suggest, preset_detect
from closedloop.imports.targets import PROPERTY, mapping_problems

HUBSPOT = [
    "Record ID",
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
    "Marketing emails opened",
]
SF_LEADS = [
    "First Name",
    "Last Name",
    "Title",
    "Company / Account",
    "Email",
    "Phone",
    "Lead Source",
    "Lead Status",
    "Lead Owner",
    "Create Date",
]
SF_OPPS = [
    "Opportunity Name",
    "Account Name",
    "Amount",
    "Stage",
    "Close Date",
    "Opportunity Owner",
    "Created Date",
    "Lead Source",
    "Probability (%)",
]


@pytest.mark.parametrize(
    ("headers", "target", "key"),
    [
        (HUBSPOT, "contacts", "hubspot_contacts"),
        (SF_LEADS, "contacts", "salesforce_leads"),
        (SF_OPPS, "deals", "salesforce_opportunities"),
        (
            [
                "opportunity_id",
                "sales_agent",
                "product",
                "account",
                "deal_stage",
                "engage_date",
                "close_date",
                "close_value",
            ],
            "deals",
            "maven_pipeline",
        ),
        (
            [
                "account",
                "sector",
                "year_established",
                "revenue",
                "employees",
                "office_location",
                "subsidiary_of",
            ],
            "accounts",
            "maven_accounts",
        ),
    ],
)
def test_presets_are_detected_from_headers(headers, target, key):
    assert preset_detect(headers, target).key == key
    assert preset_detect(headers).key == key  # also without saying the target


def test_detection_ignores_case_spacing_and_column_order():
    shuffled = [h.upper().replace(" ", "  ") for h in reversed(SF_LEADS)]
    assert preset_detect(shuffled, "contacts").key == "salesforce_leads"


def test_a_generic_file_matches_no_preset():
    assert preset_detect(["Email", "Name", "Company"], "contacts") is None
    assert preset_detect(SF_OPPS, "contacts") is None  # an opportunities export is not contacts


def test_hubspot_mapping_prefilled_from_the_preset():
    mapping = mapping_suggest(HUBSPOT, "contacts", PRESETS["hubspot_contacts"])
    assert mapping == {
        "Record ID": PROPERTY,
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Phone Number": "phone",
        "Company Name": "company",
        "Job Title": "title",
        "Lifecycle Stage": "lifecycle_stage",
        "Contact owner": "owner",
        "Create Date": "created_at",
        "Original Source": PROPERTY,
        "Marketing emails opened": "",
    }
    assert mapping_problems("contacts", mapping) == []


def test_salesforce_mappings_are_complete():
    leads = mapping_suggest(SF_LEADS, "contacts", PRESETS["salesforce_leads"])
    assert (leads["Company / Account"], leads["Lead Owner"], leads["Lead Status"]) == (
        "company",
        "owner",
        PROPERTY,
    )
    opps = mapping_suggest(SF_OPPS, "deals", PRESETS["salesforce_opportunities"])
    assert opps["Stage"] == "stage" and opps["Close Date"] == "closed_at" and opps["Lead Source"] == ""
    assert mapping_problems("deals", opps) == []


def test_without_preset_headers_are_guessed_and_each_field_used_once():
    mapping = mapping_suggest(
        ["E-mail", "Email Address", "Surname", "Organisation", "Mobile", "Notes"], "contacts", None
    )
    assert mapping == {
        "E-mail": "email",
        "Email Address": "",
        "Surname": "last_name",
        "Organisation": "company",
        "Mobile": "phone",
        "Notes": "",
    }


def test_mapping_problems_name_the_columns():
    problems = mapping_problems("contacts", {"A": "email", "B": "email", "C": "shoe_size"})
    assert 'Columns "A" and "B" both map to Email; keep one.' in problems
    assert "Column \"C\": 'shoe_size' is not a contacts field." in problems
    assert mapping_problems("accounts", {"Domain": "domain"}) == ["Map a column to the account Name."]
