"""The dry run: read every row once (streaming), check and convert each mapped value, merge
duplicates inside the file, and look up what already exists. The resulting ImportPlan is what the
preview shows and what a run writes; building it writes nothing."""

import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.crm.lifecycle import stage_rank
from closedloop.crm.models import Account, Contact, Deal
from closedloop.crm.names import normalize_company_name
from closedloop.imports import values as parse
from closedloop.imports.csv_reader import CsvLayout, iter_records
from closedloop.imports.presets import Preset
from closedloop.imports.progress import Progress
from closedloop.imports.record_store import RecordStore
from closedloop.imports.targets import (
    ACCOUNTS,
    CONTACTS,
    DEALS,
    PROPERTY,
    TargetField,
    property_key,
    target_fields,
)
from closedloop.privacy.models import ErasureRecord
from closedloop.privacy.selectors import email_hash
from closedloop.tracking.models import Campaign

MAX_ERRORS_KEPT = 1000
MAX_MERGES_KEPT = 50
LOOKUP_CHUNK = 900  # under SQLite's old 999-variable limit
# Largest amounts the columns hold: Deal.amount is 14 digits, Account.annual_revenue 16, 2 decimals.
_MAX_AMOUNT = {"amount": Decimal("1e12"), "annual_revenue": Decimal("1e14")}
_MAX_INT = 2_147_483_647


class RowError(NamedTuple):
    line: int
    column: str
    message: str


@dataclass
class ImportOptions:
    skip_invalid: bool = False
    day_first: bool = False
    create_owners: bool = False

    @classmethod
    def from_dict(cls, data: dict) -> "ImportOptions":
        return cls(**{k: bool(data.get(k, False)) for k in ("skip_invalid", "day_first", "create_owners")})


@dataclass
class ImportSpec:
    path: Path
    layout: CsvLayout
    target: str
    mapping: dict[str, str]  # CSV column → field name ("" ignores it)
    preset: Preset | None = None
    options: ImportOptions = field(default_factory=ImportOptions)


@dataclass
class ImportPlan:
    target: str
    started_at: datetime
    rows: int = 0
    invalid_rows: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Dedup key → merged record, and rows without a dedup key (by line); both spill to disk when large.
    records: RecordStore = field(default_factory=RecordStore)
    unkeyed: RecordStore = field(default_factory=RecordStore)
    merged_rows: int = 0
    merges: list[dict[str, Any]] = field(default_factory=list)
    # Company names by normalised key: each spelling seen and the line it was first seen on.
    companies: dict[str, dict[str, int]] = field(default_factory=dict)
    existing: RecordStore = field(default_factory=RecordStore)  # dedup key → id of the stored row
    existing_accounts: dict[str, int] = field(default_factory=dict)  # normalised name → Account id
    owner_ids: dict[str, int] = field(default_factory=dict)  # folded owner → User id
    owner_names: dict[str, str] = field(default_factory=dict)  # folded owner → spelling in the file
    owner_rows: Counter[str] = field(default_factory=Counter)
    contact_ids: dict[str, int] = field(default_factory=dict)  # deals: contact email → Contact id
    value_fixes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    defaulted_created_at: int = 0
    erased_rows: int = 0  # rows naming the address of an erased contact, left out
    notes: list[str] = field(default_factory=list)

    def add_error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(line, column, message))

    @property
    def unmatched_owners(self) -> dict[str, int]:
        return {self.owner_names[k]: n for k, n in self.owner_rows.items() if k not in self.owner_ids}

    @property
    def new_company_keys(self) -> list[str]:
        return [k for k in self.companies if k not in self.existing_accounts]

    def counts(self) -> dict[str, int]:
        to_update = len(self.existing)  # every key found stored is a key of `records`
        counts = {
            "rows": self.rows,
            "valid": self.rows - self.invalid_rows,
            "invalid": self.invalid_rows,
            "created": len(self.records) - to_update + len(self.unkeyed),
            "updated": to_update,
            "merged": self.merged_rows,
        }
        if self.target != ACCOUNTS:
            counts["accounts_created"] = len(self.new_company_keys)
            counts["accounts_matched"] = len(self.companies) - counts["accounts_created"]
        return counts


def fold_name(value: str) -> str:
    return " ".join(value.casefold().split())


@lru_cache(maxsize=262144)
def _company_key(name: str) -> str:
    return normalize_company_name(name)


def _split_full_name(full: str) -> tuple[str, str]:
    if "," in full:  # "Lovelace, Ada"
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    first, _, last = full.strip().partition(" ")
    return first, last.strip()


class _Column(NamedTuple):
    position: int
    header: str
    field: str
    key: str  # where the value goes: the field's name, or the property's key
    convert: Callable[[str], Any]
    aliases: dict[str, str]
    canonical: dict[str, str] | None


class PlanBuilder:
    """Builds an ImportPlan from one pass over the file. Directories of users and campaigns are
    loaded once up front: they are small, and a query per row would dominate the run time."""

    def __init__(self, spec: ImportSpec, progress: Progress | None = None) -> None:
        self.spec = spec
        self.progress = progress
        self.plan = ImportPlan(target=spec.target, started_at=timezone.now())
        self.plan.notes.extend(spec.layout.notes)
        self.fields = target_fields(spec.target)
        self.tz_name = str(settings.TIME_ZONE)
        self._owners = _owner_directory()
        self._campaigns: dict[str, int] | None = None
        # Few, so held as a set: each row's address is hashed and looked up, not queried.
        self._erased = set(ErasureRecord.objects.exclude(email_hash="").values_list("email_hash", flat=True))
        self.columns = self._columns()

    # -- set-up -------------------------------------------------------------------------------
    def _columns(self) -> list[_Column]:
        spec = self.spec
        preset = spec.preset if spec.preset and spec.preset.target == spec.target else None
        columns = []
        for index, header in enumerate(spec.layout.headers):
            name = spec.mapping.get(header, "")
            if not name:
                continue
            aliases = dict(preset.aliases.get(name, {})) if preset else {}
            canonical = self._canonical(name, preset)
            if name == PROPERTY:
                convert: Callable[[str], Any] = str
            else:
                convert = self._converter(self.fields[name])
            key = property_key(header) if name == PROPERTY else name
            columns.append(_Column(index, header, name, key, convert, aliases, canonical))
        return columns

    def _canonical(self, name: str, preset: Preset | None) -> dict[str, str] | None:
        """Spelling unification for label-like fields (a product catalogue, an industry list):
        the preset's spellings first, then those already stored, then the file's first one."""
        stored: Iterable[str]
        if self.spec.target == DEALS and name == "product":
            stored = Deal.objects.exclude(product="").values_list("product", flat=True).distinct()
        elif self.spec.target == ACCOUNTS and name == "industry":
            stored = Account.objects.exclude(industry="").values_list("industry", flat=True).distinct()
        else:
            return None
        known: dict[str, str] = {}
        for spelling in [*(preset.canonical.get(name, ()) if preset else ()), *stored]:
            known.setdefault(parse.compact_key(spelling), spelling)
        return known

    def _converter(self, f: TargetField) -> Callable[[str], Any]:
        kind = f.kind
        if kind == "text":
            limit = f.max_length

            def text(raw: str) -> str:
                if limit and len(raw) > limit:
                    raise ValueError(f"is {len(raw)} characters long; at most {limit} fit")
                return raw

            return text
        if kind == "email":
            return parse.parse_email
        if kind == "datetime":
            day_first, tz_name = self.spec.options.day_first, self.tz_name
            return lambda raw: parse.parse_datetime(raw, day_first, tz_name)
        if kind in ("amount", "millions"):
            ceiling = _MAX_AMOUNT.get(f.name, _MAX_AMOUNT["annual_revenue"])
            factor = Decimal(1_000_000) if kind == "millions" else Decimal(1)

            def amount(raw: str) -> Decimal:
                value = parse.parse_amount(raw) * factor
                if value < 0:
                    raise ValueError(f"{raw!r} is negative; amounts must be zero or more")
                if value >= ceiling:
                    raise ValueError(f"{raw!r} is too large")
                return value

            return amount
        if kind == "int":

            def integer(raw: str) -> int:
                value = parse.parse_int(raw)
                if value > _MAX_INT:
                    raise ValueError(f"{raw!r} is too large")
                return value

            return integer
        if kind == "lifecycle":
            return parse.parse_lifecycle_stage
        if kind == "deal_stage":
            return parse.parse_deal_stage
        if kind == "owner":
            return self._owner
        if kind == "company":
            return self._company_name
        if kind == "campaign":
            return self._campaign
        raise AssertionError(f"unknown field kind {kind}")

    def _owner(self, raw: str) -> str:
        key = fold_name(raw)
        self.plan.owner_names.setdefault(key, raw)
        self.plan.owner_rows[key] += 1
        if key in self._owners:
            self.plan.owner_ids[key] = self._owners[key]
        return key

    def _company_name(self, raw: str) -> str:
        if len(raw) > 255:
            raise ValueError(f"is {len(raw)} characters long; at most 255 fit")
        if not _company_key(raw):
            raise ValueError(f"{raw!r} has no letters or digits to match a company by")
        return raw

    def _campaign(self, raw: str) -> int:
        if self._campaigns is None:
            self._campaigns = {}
            for pk, name, utm in Campaign.objects.values_list("id", "name", "utm_campaign"):
                self._campaigns.setdefault(fold_name(utm), pk)
                self._campaigns.setdefault(fold_name(name), pk)
        found = self._campaigns.get(fold_name(raw))
        if found is None:
            raise ValueError(f"no campaign is named {raw!r} (or has it as utm_campaign)")
        return found

    # -- the pass -----------------------------------------------------------------------------
    def build(self) -> ImportPlan:
        plan = self.plan
        progress = self.progress
        on_progress = progress.read if progress is not None else None
        handle = {CONTACTS: self._contact, ACCOUNTS: self._account, DEALS: self._deal}[self.spec.target]
        columns = self.columns
        for record in iter_records(self.spec.path, self.spec.layout, on_progress=on_progress):
            plan.rows += 1
            line = record.line
            if record.error:
                plan.invalid_rows += 1
                plan.add_error(line, "", record.error)
                continue
            cells = record.values
            row: dict[str, Any] = {}
            failed = False
            for position, header, name, key, convert, aliases, canonical in columns:
                raw = cells[position].strip()
                if not raw:
                    continue
                if aliases and raw in aliases:
                    fixed = aliases[raw]
                    plan.value_fixes[(header, raw, fixed)] += 1
                    raw = fixed
                if canonical is not None:
                    spelling = canonical.setdefault(parse.compact_key(raw), raw)
                    if spelling != raw:
                        plan.value_fixes[(header, raw, spelling)] += 1
                        raw = spelling
                try:
                    value = convert(raw)
                except ValueError as exc:
                    plan.add_error(line, header, str(exc))
                    failed = True
                    continue
                if name == PROPERTY:
                    row.setdefault("properties", {})[key] = value
                else:
                    row[key] = value
            if not failed:
                failed = not handle(line, row)
            if failed:
                plan.invalid_rows += 1
        if plan.erased_rows:
            plan.notes.append(
                f"{plan.erased_rows} row(s) name the address of an erased contact and were left out; "
                "such a person comes back only by signing up again."
            )
        self._resolve()
        return plan

    def _column_of(self, name: str) -> str:
        return next((c.header for c in self.columns if c.field == name), "")

    def _note_company(self, name: str, line: int) -> str:
        key = _company_key(name)
        spellings = self.plan.companies.setdefault(key, {})
        if name not in spellings and len(spellings) < 20:
            spellings[name] = line
        return key

    def _merge(self, key: str, line: int, row: dict[str, Any]) -> None:
        """Later non-blank values win, as a later export row is the newer one."""
        plan = self.plan
        current = plan.records.get(key)
        if current is None:
            row["_line"] = line
            plan.records[key] = row
            return
        plan.merged_rows += 1
        if len(plan.merges) < MAX_MERGES_KEPT:
            plan.merges.append({"key": key, "line": line, "into_line": current["_line"]})
        for name, value in row.items():
            if name == "properties":
                current["properties"] = {**current.get("properties", {}), **value}
            elif name == "lifecycle_stage" and "lifecycle_stage" in current:
                if stage_rank(value) > stage_rank(current[name]):
                    current[name] = value
            elif name == "created_at" and "created_at" in current:
                current[name] = min(current[name], value)
            else:
                current[name] = value
        plan.records[key] = current  # a spilled store hands out copies

    def _contact(self, line: int, row: dict[str, Any]) -> bool:
        full = row.pop("full_name", "")
        if full:
            first, last = _split_full_name(full)
            row.setdefault("first_name", first[:120])
            row.setdefault("last_name", last[:120])
        if not (row.get("email") or row.get("first_name") or row.get("last_name")):
            self.plan.add_error(line, self._column_of("email"), "the row has neither an email nor a name")
            return False
        if "company" in row:
            row["company"] = self._note_company(row["company"], line)
        email = row.get("email")
        if email and self._erased and email_hash(email) in self._erased:
            # An old export must not bring back a person who asked to be erased (docs/privacy.md).
            self.plan.erased_rows += 1
            return True
        if email:
            self._merge(email, line, row)
        else:
            row["_line"] = line
            self.plan.unkeyed[str(line)] = row
        return True

    def _account(self, line: int, row: dict[str, Any]) -> bool:
        if "name" not in row:
            self.plan.add_error(line, self._column_of("name"), "the account name is empty")
            return False
        key = self._note_company(row["name"], line)
        if key in self.plan.records:
            row.pop("name")  # the first spelling names the account
        self._merge(key, line, row)
        return True

    def _deal(self, line: int, row: dict[str, Any]) -> bool:
        if not (row.get("name") or row.get("external_id") or row.get("account")):
            column = self._column_of("name") or self._column_of("external_id") or self._column_of("account")
            self.plan.add_error(line, column, "the deal has no name, external ID or account")
            return False
        if "account" in row:
            row["account"] = self._note_company(row["account"], line)
        external_id = row.get("external_id")
        if external_id:
            self._merge(external_id, line, row)
        else:
            row["_line"] = line
            self.plan.unkeyed[str(line)] = row
        return True

    # -- what exists already ------------------------------------------------------------------
    def _resolve(self) -> None:
        plan = self.plan
        company_keys = list(plan.companies)
        plan.existing_accounts = dict(_ids_by(Account, "normalized_name", company_keys))
        if self.spec.target == CONTACTS:
            _ids_by(Contact, "email", plan.records.keys(), into=plan.existing)
        elif self.spec.target == ACCOUNTS:
            for key in plan.records:
                if key in plan.existing_accounts:
                    plan.existing[key] = plan.existing_accounts[key]
        else:
            _ids_by(Deal, "external_id", plan.records.keys(), into=plan.existing)
            emails = {r["contact_email"] for r in self._all_records() if r.get("contact_email")}
            plan.contact_ids = dict(_ids_by(Contact, "email", sorted(emails)))
            plan.defaulted_created_at = sum(1 for r in self._all_records() if "created_at" not in r)

    def _all_records(self) -> Iterable[dict[str, Any]]:
        yield from self.plan.records.values()
        yield from self.plan.unkeyed.values()


def _ids_by(
    model: Any, field_name: str, keys: Iterable[str], *, into: RecordStore | None = None
) -> RecordStore:
    """key → id for the keys stored in model.field_name, added to `into` (a new store if None).
    Plain SQL in chunks: building an ORM IN query costs more than running it when 100,000 emails
    are looked up."""
    found = RecordStore() if into is None else into
    meta = model._meta
    quote = connection.ops.quote_name
    column, table, pk = quote(meta.get_field(field_name).column), quote(meta.db_table), quote(meta.pk.column)
    with connection.cursor() as cursor:
        for chunk in itertools.batched(keys, LOOKUP_CHUNK):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {column}, {pk} FROM {table} WHERE {column} IN ({marks})", chunk)  # noqa: S608
            for key, pk_value in cursor.fetchall():
                found[key] = pk_value
    return found


def _owner_directory() -> dict[str, int]:
    """Folded email, username and full name → user id; a name two users share matches neither."""
    directory: dict[str, int] = {}
    ambiguous: set[str] = set()
    for pk, username, email, first, last in User.objects.values_list(
        "id", "username", "email", "first_name", "last_name"
    ):
        for key in {fold_name(username), fold_name(email), fold_name(f"{first} {last}")} - {""}:
            if key in directory and directory[key] != pk:
                ambiguous.add(key)
            directory[key] = pk
    for key in ambiguous:
        directory.pop(key)
    return directory


def plan_build(spec: ImportSpec, progress: Progress | None = None) -> ImportPlan:
    return PlanBuilder(spec, progress).build()
