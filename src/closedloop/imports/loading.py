"""Writing an ImportPlan inside the caller's transaction: rows go in chunks through prepared
INSERT and UPDATE statements (bulk_sql.py), never one ORM save per row — 100,000 contacts must
import in well under a minute on SQLite. The CRM's per-row services (contact_upsert) stay the
path for single changes."""

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone
from django.utils.text import slugify

from closedloop.accounts.models import User
from closedloop.accounts.roles import Role
from closedloop.crm.lifecycle import Stage, stage_rank
from closedloop.crm.models import Account, Contact, Deal, StageTransition
from closedloop.imports.bulk_sql import BulkTable, is_database_default, reserve_ids, update_rows
from closedloop.imports.plan import ImportPlan, ImportSpec
from closedloop.imports.progress import Progress
from closedloop.imports.targets import ACCOUNTS, CONTACTS

CHUNK = 2000
UPDATE_CHUNK = 500
_CLOSED = (Deal.DealStage.WON, Deal.DealStage.LOST)


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    accounts_created: int = 0
    owners_created: int = 0
    stage_transitions: int = 0
    deals_without_contact: int = 0


def first_stage_transitions(
    contact_ids: Sequence[int], *, cause: str, detail: str, by_id: int | None
) -> None:
    """One stage-history row per new contact — from no stage to its stage, at its creation —
    copied inside the database from the rows just inserted rather than built in Python. Columns
    not named here get their model default, so new StageTransition fields need no change here."""
    if not contact_ids:
        return
    quote = connection.ops.quote_name
    from_contact = {"contact": "id", "to_stage": "lifecycle_stage", "at": "created_at"}
    given = {"from_stage": "", "cause": cause, "detail": detail, "by": by_id}
    columns, selected, params = [], [], []
    for field in StageTransition._meta.concrete_fields:
        # Columns with only a database default are left out, so the database fills them.
        if field.primary_key or (field.name not in given and is_database_default(field)):
            continue
        columns.append(quote(str(field.column)))
        if field.name in from_contact:
            selected.append(quote(from_contact[field.name]))
        else:
            selected.append("%s")
            value = given[field.name] if field.name in given else field.get_default()
            params.append(field.get_db_prep_save(value, connection))
    marks = ", ".join(["%s"] * len(contact_ids))
    sql = (
        f"INSERT INTO {quote(StageTransition._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM {quote(Contact._meta.db_table)} WHERE id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *contact_ids])


class PlanWriter:
    def __init__(
        self, plan: ImportPlan, spec: ImportSpec, *, by: User | None, detail: str, progress: Progress
    ):
        self.plan = plan
        self.spec = spec
        self.by_id = by.pk if by is not None else None
        self.detail = detail
        self.progress = progress
        self.result = WriteResult()
        self.owner_ids: dict[str, int] = dict(plan.owner_ids)
        self.account_ids: dict[str, int] = dict(plan.existing_accounts)
        self.now = timezone.now()

    def write(self) -> WriteResult:
        plan = self.plan
        self.progress.start_writing(len(plan.records) + len(plan.unkeyed))
        if self.spec.options.create_owners:
            self._create_owners()
        if self.spec.target == CONTACTS:
            self._create_accounts()
            self._contacts()
        elif self.spec.target == ACCOUNTS:
            self._accounts()
        else:
            self._create_accounts()
            self._deals()
        return self.result

    # -- shared -------------------------------------------------------------------------------
    # Rows are streamed from the plan's stores, never gathered in lists: a plan may hold millions.
    def _new_rows(self) -> Iterator[dict[str, Any]]:
        plan = self.plan
        yield from (row for key, row in plan.records.items() if key not in plan.existing)
        yield from plan.unkeyed.values()

    def _existing_keys(self) -> Iterator[str]:
        plan = self.plan
        return (key for key in plan.records if key in plan.existing)

    def _company_name(self, key: str) -> str:
        return next(iter(self.plan.companies[key]))  # the first spelling in the file

    def _create_owners(self) -> None:
        """Unknown owners become inactive users (no password, no sign-in) so that deals and
        contacts keep their rep; an admin can activate them later. Created directly rather than
        through accounts.services.user_create, which requires a password."""
        plan = self.plan
        taken = set(User.objects.values_list("username", flat=True))
        users = []
        keys_by_username: dict[str, str] = {}
        for key, spelling in plan.owner_names.items():
            if key in self.owner_ids:
                continue
            is_email = "@" in spelling
            base = (slugify(spelling.split("@")[0] if is_email else spelling).replace("-", ".") or "owner")[
                :140
            ]
            username, n = base, 1
            while username in taken:
                n += 1
                username = f"{base}{n}"
            taken.add(username)
            keys_by_username[username] = key
            first, _, last = ("" if is_email else spelling).partition(" ")
            users.append(
                User(
                    username=username,
                    email=spelling if is_email else "",
                    first_name=first[:150],
                    last_name=last.strip()[:150],
                    role=Role.SALES_REP,
                    is_active=False,
                    password=make_password(None),
                )
            )
        User.objects.bulk_create(users)  # a few dozen rows at most: the ORM is fine here
        for pk, username in User.objects.filter(username__in=list(keys_by_username)).values_list(
            "id", "username"
        ):
            self.owner_ids[keys_by_username[username]] = pk
        self.result.owners_created = len(users)

    def _create_accounts(self) -> None:
        keys = self.plan.new_company_keys
        table = BulkTable(Account)
        ids = reserve_ids(Account, len(keys))
        for key, pk in zip(keys, ids, strict=True):
            self.account_ids[key] = pk
        for chunk in itertools.batched(list(zip(keys, ids, strict=True)), CHUNK):
            table.insert(
                table.row({"id": pk, "name": self._company_name(key), "normalized_name": key})
                for key, pk in chunk
            )
        self.result.accounts_created = len(keys)

    # -- contacts -----------------------------------------------------------------------------
    def _contact_properties(self, row: dict[str, Any]) -> dict[str, Any]:
        properties = row.get("properties", {})
        owner = row.get("owner")
        if owner and owner not in self.owner_ids:
            properties = {**properties, "owner": self.plan.owner_names[owner]}
        return properties

    def _contacts(self) -> None:
        contacts = BulkTable(Contact)
        started_at = self.plan.started_at
        created = 0
        for rows in itertools.batched(self._new_rows(), CHUNK):
            chunk = list(zip(rows, reserve_ids(Contact, len(rows)), strict=True))
            contacts.insert(
                contacts.row(
                    {
                        "id": pk,
                        "email": r.get("email"),
                        "first_name": r.get("first_name", ""),
                        "last_name": r.get("last_name", ""),
                        "title": r.get("title", ""),
                        "phone": r.get("phone", ""),
                        "persona": r.get("persona", ""),
                        "account_id": self.account_ids.get(r.get("company", "")),
                        "owner_id": self.owner_ids.get(r.get("owner", "")),
                        "lifecycle_stage": r.get("lifecycle_stage", Stage.VISITOR),
                        "source_campaign_id": r.get("campaign"),
                        "properties": self._contact_properties(r),
                        "created_at": r.get("created_at", started_at),
                    }
                )
                for r, pk in chunk
            )
            # Stage history starts at creation, as contact_upsert records it for one contact.
            first_stage_transitions(
                [pk for _, pk in chunk],
                cause=StageTransition.Cause.IMPORT,
                detail=self.detail,
                by_id=self.by_id,
            )
            self.progress.wrote(len(chunk))
            created += len(chunk)
        self.result.created = created
        self.result.stage_transitions = created
        self._update_contacts(self._existing_keys())

    def _update_contacts(self, keys: Iterable[str]) -> None:
        plan = self.plan
        transitions = BulkTable(StageTransition, with_pk=False)
        fields = [
            "first_name", "last_name", "title", "phone", "persona", "account", "owner",
            "lifecycle_stage", "source_campaign", "properties", "created_at", "updated_at",
        ]  # fmt: skip
        updated = 0
        for chunk in itertools.batched(keys, UPDATE_CHUNK):
            updated += len(chunk)
            contacts = list(Contact.objects.filter(email__in=chunk))
            moves = []
            for contact in contacts:
                row = plan.records[contact.email or ""]
                for name in ("first_name", "last_name", "title", "phone", "persona"):
                    if row.get(name):
                        setattr(contact, name, row[name])
                if row.get("company"):
                    contact.account_id = self.account_ids[row["company"]]
                if row.get("owner") in self.owner_ids:
                    contact.owner_id = self.owner_ids[row["owner"]]
                if row.get("campaign") and contact.source_campaign_id is None:
                    contact.source_campaign_id = row["campaign"]  # the first touch stays first
                contact.properties = {**contact.properties, **self._contact_properties(row)}
                if row.get("created_at") and row["created_at"] < contact.created_at:
                    contact.created_at = row["created_at"]
                stage = row.get("lifecycle_stage")
                # An import moves contacts forward only: a stale export must not undo sales' work.
                if stage and stage_rank(stage) > stage_rank(contact.lifecycle_stage):
                    moves.append(
                        transitions.row(
                            {
                                "contact_id": contact.pk,
                                "from_stage": contact.lifecycle_stage,
                                "to_stage": stage,
                                "at": self.now,
                                "cause": StageTransition.Cause.IMPORT,
                                "detail": self.detail,
                                "by_id": self.by_id,
                            }
                        )
                    )
                    contact.lifecycle_stage = stage
                contact.updated_at = self.now
            update_rows(Contact, contacts, fields)
            transitions.insert(moves)
            self.result.stage_transitions += len(moves)
            self.progress.wrote(len(chunk))
        self.result.updated = updated

    # -- accounts -----------------------------------------------------------------------------
    _ACCOUNT_FIELDS = ("domain", "industry", "employees", "annual_revenue", "country")

    def _account_values(self, row: dict[str, Any]) -> dict[str, Any]:
        values = {name: row[name] for name in self._ACCOUNT_FIELDS if row.get(name) not in (None, "")}
        if "annual_revenue" not in values and row.get("annual_revenue_millions") is not None:
            values["annual_revenue"] = row["annual_revenue_millions"]
        if row.get("owner") in self.owner_ids:
            values["owner_id"] = self.owner_ids[row["owner"]]
        return values

    def _accounts(self) -> None:
        plan = self.plan
        table = BulkTable(Account, with_pk=False)
        created = updated = 0
        new_keys = (key for key in plan.records if key not in plan.existing)
        for chunk in itertools.batched(new_keys, CHUNK):
            created += len(chunk)
            table.insert(
                table.row(
                    {
                        "name": self._company_name(k),
                        "normalized_name": k,
                        **self._account_values(plan.records[k]),
                    }
                )
                for k in chunk
            )
            self.progress.wrote(len(chunk))
        for keys in itertools.batched(self._existing_keys(), UPDATE_CHUNK):
            updated += len(keys)
            accounts = list(Account.objects.filter(normalized_name__in=keys))
            for account in accounts:
                for name, value in self._account_values(plan.records[account.normalized_name]).items():
                    setattr(account, name, value)
            update_rows(Account, accounts, [*self._ACCOUNT_FIELDS, "owner"])
            self.progress.wrote(len(keys))
        self.result.created, self.result.updated = created, updated

    # -- deals --------------------------------------------------------------------------------
    def _deal_values(self, row: dict[str, Any]) -> dict[str, Any]:
        values = {
            name: row[name]
            for name in ("external_id", "product", "amount", "stage", "lost_reason", "created_at")
            if row.get(name) not in (None, "")
        }
        if row.get("account"):
            values["account_id"] = self.account_ids[row["account"]]
        if row.get("owner") in self.owner_ids:
            values["owner_id"] = self.owner_ids[row["owner"]]
        if row.get("contact_email"):
            contact_id = self.plan.contact_ids.get(row["contact_email"])
            if contact_id is None:
                self.result.deals_without_contact += 1
            else:
                values["contact_id"] = contact_id
        if row.get("campaign"):
            values["source_campaign_id"] = row["campaign"]
        return values

    def _deal_name(self, row: dict[str, Any]) -> str:
        if row.get("name"):
            return str(row["name"])
        account = self._company_name(row["account"]) if row.get("account") else ""
        parts = [p for p in (account, row.get("product", "")) if p]
        return (" – ".join(parts) or str(row.get("external_id", "")))[:255]

    def _deals(self) -> None:
        plan = self.plan
        table = BulkTable(Deal, with_pk=False)
        created = updated = 0
        for chunk in itertools.batched(self._new_rows(), CHUNK):
            created += len(chunk)
            rows = []
            for row in chunk:
                values = {
                    "name": self._deal_name(row),
                    "created_at": plan.started_at,
                    **self._deal_values(row),
                }
                # For open deals a CRM's close date is the expected one; only won/lost deals are closed.
                if values.get("stage") in _CLOSED:
                    values["closed_at"] = row.get("closed_at")
                rows.append(table.row(values))
            table.insert(rows)
            self.progress.wrote(len(chunk))
        fields = [
            "name", "product", "amount", "stage", "lost_reason", "account", "owner", "contact",
            "source_campaign", "created_at", "closed_at",
        ]  # fmt: skip
        for keys in itertools.batched(self._existing_keys(), UPDATE_CHUNK):
            updated += len(keys)
            deals = list(Deal.objects.filter(external_id__in=keys))
            for deal in deals:
                row = plan.records[deal.external_id or ""]
                if row.get("name"):
                    deal.name = row["name"]
                for name, value in self._deal_values(row).items():
                    setattr(deal, name, value)
                if deal.stage in _CLOSED:
                    deal.closed_at = row.get("closed_at") or deal.closed_at
                else:
                    deal.closed_at = None
            update_rows(Deal, deals, fields)
            self.progress.wrote(len(keys))
        self.result.created, self.result.updated = created, updated


def plan_write(
    plan: ImportPlan, spec: ImportSpec, *, by: User | None, detail: str, progress: Progress
) -> WriteResult:
    """Write the plan. The caller holds the transaction (all-or-nothing)."""
    return PlanWriter(plan, spec, by=by, detail=detail, progress=progress).write()
