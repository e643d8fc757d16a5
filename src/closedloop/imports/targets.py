"""What a CSV column can become: the closedloop fields of each import target, and the header
spellings that suggest them when no preset knows the file."""

import re
from dataclasses import dataclass

CONTACTS = "contacts"
ACCOUNTS = "accounts"
DEALS = "deals"
TARGETS = (CONTACTS, ACCOUNTS, DEALS)
PROPERTY = "property"  # keep the value in Contact.properties under the column's name


@dataclass(frozen=True)
class TargetField:
    name: str
    label: str
    kind: str  # text, email, datetime, amount, int, millions, lifecycle, deal_stage, owner, company, campaign
    max_length: int = 0
    synonyms: tuple[str, ...] = ()


_OWNER_HELP = "Owner (a user's email, username or full name)"

FIELDS: dict[str, tuple[TargetField, ...]] = {
    CONTACTS: (
        TargetField("email", "Email", "email", 254, ("email", "emailaddress", "workemail", "mail")),
        TargetField("first_name", "First name", "text", 120, ("firstname", "givenname", "first")),
        TargetField("last_name", "Last name", "text", 120, ("lastname", "surname", "familyname", "last")),
        TargetField("full_name", "Full name (split into first and last)", "text", 240, ("name", "fullname")),
        TargetField("title", "Job title", "text", 160, ("title", "jobtitle", "position")),
        TargetField(
            "phone", "Phone", "text", 40, ("phone", "phonenumber", "mobile", "mobilephone", "telephone")
        ),
        TargetField(
            "company",
            "Company (matched or created by normalised name)",
            "company",
            255,
            (
                "company",
                "companyname",
                "companyaccount",
                "account",
                "accountname",
                "organization",
                "organisation",
            ),
        ),
        TargetField("persona", "Persona", "text", 80, ("persona",)),
        TargetField("lifecycle_stage", "Lifecycle stage", "lifecycle", 0, ("lifecyclestage", "lifecycle")),
        TargetField("owner", _OWNER_HELP, "owner", 0, ("owner", "contactowner", "leadowner", "salesagent")),
        TargetField("created_at", "Created at", "datetime", 0, ("createdate", "createddate", "created")),
        TargetField("campaign", "Source campaign (name or utm_campaign)", "campaign", 0, ("campaign",)),
    ),
    ACCOUNTS: (
        TargetField(
            "name", "Name", "company", 255, ("account", "accountname", "company", "companyname", "name")
        ),
        TargetField("domain", "Domain", "text", 255, ("domain", "website", "companydomainname")),
        TargetField("industry", "Industry", "text", 120, ("industry", "sector")),
        TargetField("employees", "Employees", "int", 0, ("employees", "numberofemployees", "companysize")),
        TargetField("annual_revenue", "Annual revenue", "amount", 0, ("annualrevenue", "revenue")),
        TargetField(
            "annual_revenue_millions", "Annual revenue in millions", "millions", 0, ("revenuemillions",)
        ),
        TargetField("country", "Country", "text", 80, ("country", "countryregion", "billingcountry")),
        TargetField("owner", _OWNER_HELP, "owner", 0, ("owner", "accountowner", "companyowner")),
    ),
    DEALS: (
        TargetField(
            "external_id", "External ID (re-imports update it)", "text", 64, ("opportunityid", "dealid")
        ),
        TargetField("name", "Name", "text", 255, ("name", "opportunityname", "dealname")),
        TargetField(
            "account",
            "Account (matched or created by normalised name)",
            "company",
            255,
            ("account", "accountname", "company", "companyname"),
        ),
        TargetField("contact_email", "Contact email (links an existing contact)", "email", 254, ("email",)),
        TargetField(
            "owner", _OWNER_HELP, "owner", 0, ("owner", "opportunityowner", "dealowner", "salesagent")
        ),
        TargetField("product", "Product", "text", 120, ("product", "productname")),
        TargetField("amount", "Amount", "amount", 0, ("amount", "value", "closevalue", "dealamount")),
        TargetField("stage", "Stage (won/lost closes the deal)", "deal_stage", 0, ("stage", "dealstage")),
        TargetField(
            "lost_reason", "Lost reason", "text", 255, ("lostreason", "lossreason", "closedlostreason")
        ),
        TargetField("created_at", "Created at", "datetime", 0, ("createddate", "createdate", "created")),
        TargetField("closed_at", "Closed at (won/lost deals)", "datetime", 0, ("closedate", "closeddate")),
        TargetField("campaign", "Source campaign (name or utm_campaign)", "campaign", 0, ("campaign",)),
    ),
}


def target_fields(target: str) -> dict[str, TargetField]:
    return {f.name: f for f in FIELDS[target]}


def field_choices(target: str) -> list[tuple[str, str]]:
    """Options for a column's target select: ignore, each field, and (contacts) a custom property."""
    choices = [("", "— ignore —")] + [(f.name, f.label) for f in FIELDS[target]]
    if target == CONTACTS:
        choices.append((PROPERTY, "Custom property (kept on the contact)"))
    return choices


def header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def property_key(header: str) -> str:
    """'Original Source' → 'original_source'."""
    return re.sub(r"[^a-z0-9]+", "_", header.casefold()).strip("_") or "column"


def suggest_field(target: str, header: str) -> str:
    key = header_key(header)
    for f in FIELDS[target]:
        if key == f.name.replace("_", "") or key in f.synonyms:
            return f.name
    return ""


def mapping_problems(target: str, mapping: dict[str, str]) -> list[str]:
    """Why a mapping cannot run: unknown fields, a field fed by two columns, a missing key field."""
    fields = target_fields(target)
    problems = []
    used: dict[str, str] = {}
    for column, name in mapping.items():
        if not name:
            continue
        if name == PROPERTY and target == CONTACTS:
            continue
        if name not in fields:
            problems.append(f'Column "{column}": {name!r} is not a {target} field.')
            continue
        if name in used:
            problems.append(
                f'Columns "{used[name]}" and "{column}" both map to {fields[name].label}; keep one.'
            )
        used[name] = column
    chosen = set(used)
    if target == CONTACTS and not chosen & {"email", "first_name", "last_name", "full_name"}:
        problems.append("Map an Email column (or at least a name column) to import contacts.")
    if target == ACCOUNTS and "name" not in chosen:
        problems.append("Map a column to the account Name.")
    if target == DEALS and not chosen & {"name", "external_id", "account"}:
        problems.append("Map a deal Name, External ID or Account column to import deals.")
    return problems
