"""Column-mapping presets for the exports people actually have: HubSpot contacts, Salesforce
leads and opportunities, and the Maven "CRM Sales Opportunities" sample (DESIGN §3.1)."""

from dataclasses import dataclass, field

from closedloop.imports.targets import ACCOUNTS, CONTACTS, DEALS, PROPERTY, suggest_field


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    target: str
    columns: dict[str, str]  # CSV header → field ("" ignores it)
    # Headers that identify the export; detection needs most of them.
    signature: tuple[str, ...]
    # Known spellings per field: a value whose compact form (case, spaces and punctuation
    # removed) matches one of these is stored in this spelling.
    canonical: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Exact value replacements per field, for misspellings a compact key cannot catch.
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    note: str = ""


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset(
            key="hubspot_contacts",
            label="HubSpot contacts export",
            target=CONTACTS,
            columns={
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
                "Lead Status": PROPERTY,
                "Persona": "persona",
            },
            signature=(
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
            ),
        ),
        Preset(
            key="salesforce_leads",
            label="Salesforce leads report",
            target=CONTACTS,
            columns={
                "Lead ID": PROPERTY,
                "First Name": "first_name",
                "Last Name": "last_name",
                "Title": "title",
                "Company / Account": "company",
                "Company": "company",
                "Email": "email",
                "Phone": "phone",
                "Lead Source": PROPERTY,
                "Lead Status": PROPERTY,
                "Lead Owner": "owner",
                "Create Date": "created_at",
                "Created Date": "created_at",
            },
            signature=(
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
            ),
        ),
        Preset(
            key="salesforce_opportunities",
            label="Salesforce opportunities report",
            target=DEALS,
            columns={
                "Opportunity ID": "external_id",
                "Opportunity Name": "name",
                "Account Name": "account",
                "Amount": "amount",
                "Stage": "stage",
                "Close Date": "closed_at",
                "Opportunity Owner": "owner",
                "Created Date": "created_at",
                "Lead Source": "",
                "Probability (%)": "",
                "Type": "",
                "Primary Campaign Source": "campaign",
            },
            signature=(
                "Opportunity Name",
                "Account Name",
                "Amount",
                "Stage",
                "Close Date",
                "Opportunity Owner",
                "Created Date",
                "Lead Source",
            ),
        ),
        Preset(
            key="maven_accounts",
            label="Maven CRM sample: accounts.csv",
            target=ACCOUNTS,
            columns={
                "account": "name",
                "sector": "industry",
                "year_established": "",
                "revenue": "annual_revenue_millions",
                "employees": "employees",
                "office_location": "country",
                "subsidiary_of": "",
            },
            signature=("account", "sector", "year_established", "revenue", "employees", "office_location"),
            aliases={"industry": {"technolgy": "technology"}},
            note="Revenue is in millions of USD; the sector 'technolgy' is corrected to 'technology'.",
        ),
        Preset(
            key="maven_pipeline",
            label="Maven CRM sample: sales_pipeline.csv",
            target=DEALS,
            columns={
                "opportunity_id": "external_id",
                "sales_agent": "owner",
                "product": "product",
                "account": "account",
                "deal_stage": "stage",
                "engage_date": "created_at",
                "close_date": "closed_at",
                "close_value": "amount",
            },
            signature=("opportunity_id", "sales_agent", "product", "account", "deal_stage", "close_value"),
            # products.csv spells these; the pipeline writes "GTXPro" for "GTX Pro".
            canonical={
                "product": (
                    "GTX Basic",
                    "GTX Pro",
                    "MG Special",
                    "MG Advanced",
                    "GTX Plus Pro",
                    "GTX Plus Basic",
                    "GTK 500",
                )
            },
            note="Deals without an engage date (Prospecting) get the import time as their creation date.",
        ),
    )
}


def _fold(header: str) -> str:
    return " ".join(header.casefold().split())


def preset_match_score(preset: Preset, headers: list[str]) -> float:
    present = {_fold(h) for h in headers}
    hits = sum(1 for h in preset.signature if _fold(h) in present)
    return hits / len(preset.signature)


def preset_detect(headers: list[str], target: str | None = None) -> Preset | None:
    """The preset whose signature headers the file has (at least 70% of them), best first."""
    candidates = [p for p in PRESETS.values() if target is None or p.target == target]
    scored = sorted(((preset_match_score(p, headers), p.key) for p in candidates), reverse=True)
    if scored and scored[0][0] >= 0.7:
        return PRESETS[scored[0][1]]
    return None


def mapping_suggest(headers: list[str], target: str, preset: Preset | None) -> dict[str, str]:
    """A column → field mapping: the preset's where it names the column, a guess from the header
    otherwise; each field is suggested for one column only."""
    by_fold = {_fold(k): v for k, v in preset.columns.items()} if preset and preset.target == target else {}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        folded = _fold(header)
        name = by_fold[folded] if folded in by_fold else suggest_field(target, header)
        if name and name != PROPERTY and name in used:
            name = ""
        if name and name != PROPERTY:
            used.add(name)
        mapping[header] = name
    return mapping
