"""Writes to the agreement: draft, edit, propose, sign (activation follows the second signature),
withdraw. Each one checks who may do it, validates, runs in a transaction and writes an audit entry.

Refusals are PermissionDenied when the person's role may not do it (403 in the API) and
ValidationError when the version's state or content does not allow it (422)."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission, Role
from closedloop.agreement.content import (
    ContentError,
    Problem,
    content_merge,
    content_problems,
    content_read,
    content_write,
)
from closedloop.agreement.defaults import default_content
from closedloop.agreement.diff import content_diff
from closedloop.agreement.models import FROZEN, AgreementVersion, Side, Signature, Status
from closedloop.agreement.selectors import SIGNER_ROLE, agreement_problems
from closedloop.audit.services import audit_record


def problems_error(problems: list[Problem]) -> ValidationError:
    """Problems as one ValidationError keyed by dotted location ("stage_definitions.mql.rule")."""
    grouped: dict[str, list[str]] = {}
    for p in problems:
        grouped.setdefault(".".join(str(part) for part in p.loc) or "__all__", []).append(p.message)
    return ValidationError(grouped)


def _status_phrase(version: AgreementVersion) -> str:
    """ "a draft", "proposed", "active": how a status reads after "version 3 is"."""
    return "a draft" if version.status == Status.DRAFT else version.get_status_display().lower()


def _role_label(user: User) -> str:
    return user.get_role_display().lower() if user.role in Role.values else user.role


def _require_editor(user: User, what: str) -> None:
    if not user.has_role(Permission.EDIT_AGREEMENT):
        raise PermissionDenied(
            f"{user.display_name} ({_role_label(user)}) may not {what}; the heads of marketing and sales, "
            "marketers and admins edit the agreement."
        )


def _locked(version: AgreementVersion) -> AgreementVersion:
    # Re-read under a row lock: two heads signing at once, or an edit racing a signature.
    return AgreementVersion.objects.select_for_update().get(pk=version.pk)


def _refresh(target: AgreementVersion, source: AgreementVersion) -> AgreementVersion:
    """Copy the locked row's fields onto the caller's object so it sees the new state."""
    for f in AgreementVersion._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))
    for cache in ("stage_definitions", "sla_terms", "personas", "qualifiers", "signatures"):
        getattr(target, "_prefetched_objects_cache", {}).pop(cache, None)
    return target


def _frozen_error(version: AgreementVersion) -> ValidationError:
    return ValidationError(
        {
            "status": (
                f"Version {version.number} is {_status_phrase(version)}; signed and active "
                "versions never change. Make a new draft from it and edit that."
            )
        }
    )


def _lock_version_numbers() -> None:
    """Two drafts started at the same moment must not both take number n+1. SQLite's write lock,
    taken when the transaction begins, already serialises them; PostgreSQL gets a lock held until
    this transaction ends."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('closedloop.agreement_version_number'))")


@transaction.atomic
def agreement_draft_create(
    *, by: User, from_version: AgreementVersion | None = None, at: datetime | None = None
) -> AgreementVersion:
    """A new draft: a copy of `from_version`, else of the active version, else the default agreement."""
    _require_editor(by, "draft an agreement")
    at = at or timezone.now()
    source = from_version or AgreementVersion.objects.filter(status=Status.ACTIVE).first()
    content = content_read(version=source) if source else {**default_content(), "qualifiers": []}
    content["change_note"] = ""
    _lock_version_numbers()
    number = (AgreementVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    version = AgreementVersion(
        number=number, status=Status.DRAFT, parent=source, created_by=by, created_at=at, updated_at=at
    )
    content_write(version=version, content=content)
    origin = f"v{source.number}" if source else "the default agreement"
    audit_record(
        actor=by,
        action="agreement.draft_create",
        obj=version,
        summary=f"Drafted agreement v{number} from {origin}",
        changes={"from_version": source.number if source else None},
        at=at,
    )
    return version


@transaction.atomic
def agreement_draft_update(
    *, version: AgreementVersion, by: User, at: datetime | None = None, **changes: Any
) -> AgreementVersion:
    """Edit a draft (fields as in content.py). Editing a proposed version returns it to draft and
    voids the signature it may have collected: that signature was given to different words."""
    _require_editor(by, "edit the agreement")
    locked = _locked(version)
    if locked.status in FROZEN:
        raise _frozen_error(locked)
    before = content_read(version=locked)
    try:
        after = content_merge(before, changes)
    except ContentError as exc:
        raise problems_error(exc.problems) from None
    problems = content_problems(after)
    if problems:
        raise problems_error(problems)
    diff = content_diff(before, after, old_number=locked.number, new_number=locked.number)
    if diff.is_empty and after["change_note"] == before["change_note"]:
        return _refresh(version, locked)
    now = at or timezone.now()
    audit_changes: dict[str, Any] = {"diff": diff.as_dict()}
    if locked.status == Status.PROPOSED:
        voided = list(locked.signatures.all())
        audit_changes["status"] = [Status.PROPOSED, Status.DRAFT]
        audit_changes["signatures_voided"] = [
            {"side": s.side, "signer": s.signer_name, "signed_at": s.signed_at} for s in voided
        ]
        locked.signatures.all().delete()
        locked.status, locked.proposed_at = Status.DRAFT, None
    locked.updated_at = now
    content_write(version=locked, content=after)
    audit_record(
        actor=by,
        action="agreement.draft_update",
        obj=locked,
        summary=f"Edited agreement v{locked.number}: {diff.headline()}",
        changes=audit_changes,
        at=now,
    )
    return _refresh(version, locked)


@transaction.atomic
def agreement_propose(*, version: AgreementVersion, by: User, at: datetime | None = None) -> AgreementVersion:
    """Put a draft up for signature. Every rule must parse; errors name the stage and the position."""
    _require_editor(by, "propose the agreement")
    locked = _locked(version)
    if locked.status != Status.DRAFT:
        raise ValidationError(
            {"status": f"Only a draft can be proposed; version {locked.number} is {_status_phrase(locked)}."}
        )
    problems = agreement_problems(version=locked)
    if problems:
        raise problems_error(problems)
    at = at or timezone.now()
    locked.status, locked.proposed_at, locked.updated_at = Status.PROPOSED, at, at
    locked.save(update_fields=["status", "proposed_at", "updated_at"])
    audit_record(
        actor=by,
        action="agreement.propose",
        obj=locked,
        summary=f"Proposed agreement v{locked.number} for signature",
        changes={"status": [Status.DRAFT, Status.PROPOSED]},
        at=at,
    )
    return _refresh(version, locked)


@transaction.atomic
def agreement_sign(
    *, version: AgreementVersion, user: User, side: str, at: datetime | None = None
) -> AgreementVersion:
    """Sign one side of a proposed version. Only the head of marketing signs for marketing and the
    head of sales for sales; nobody signs both. The second signature activates the version."""
    if side not in Side.values:
        raise ValidationError({"side": f"side must be marketing or sales, not {side!r}"})
    required = SIGNER_ROLE[Side(side)]
    if not user.is_active or user.role != required:
        raise PermissionDenied(
            f"Only the {Role(required).label.lower()} may sign for {side}; {user.display_name} is "
            f"{'an' if _role_label(user)[0] in 'aeiou' else 'a'} {_role_label(user)}."
        )
    locked = _locked(version)
    if locked.status != Status.PROPOSED:
        hint = " Propose it first." if locked.status == Status.DRAFT else ""
        raise ValidationError(
            {
                "status": f"Only a proposed version can be signed; version {locked.number} is "
                f"{_status_phrase(locked)}.{hint}"
            }
        )
    signatures = {s.side: s for s in locked.signatures.all()}
    if side in signatures:
        existing = signatures[side]
        raise ValidationError(
            {
                "side": f"{Side(side).label} already signed version {locked.number} "
                f"({existing.signer_name}, {timezone.localtime(existing.signed_at):%d %b %Y})."
            }
        )
    if any(s.user_id == user.pk for s in signatures.values()):
        raise ValidationError(
            {
                "side": f"{user.display_name} already signed for the other side; one person can't sign for both teams."
            }
        )
    at = at or timezone.now()
    Signature.objects.create(
        version=locked,
        side=side,
        user=user,
        signer_name=user.display_name,
        signer_role=user.role,
        signed_at=at,
    )
    audit_record(
        actor=user,
        action="agreement.sign",
        obj=locked,
        summary=f"{user.display_name} signed agreement v{locked.number} for {side}",
        changes={"side": side},
        at=at,
    )
    if len(signatures) + 1 == len(Side.values):
        locked.status, locked.updated_at = Status.SIGNED, at
        locked.save(update_fields=["status", "updated_at"])
        agreement_activate(version=locked, by=user, at=at)
    return _refresh(version, locked)


@transaction.atomic
def agreement_activate(
    *, version: AgreementVersion, by: User, at: datetime | None = None
) -> AgreementVersion:
    """Make a signed version the active one; the previous active version is superseded.
    `agreement_sign` calls it when the second signature lands."""
    locked = _locked(version)
    sides = set(locked.signatures.values_list("side", flat=True))
    if locked.status != Status.SIGNED or sides != set(Side.values):
        raise ValidationError(
            {"status": f"Version {locked.number} needs both signatures before it can become active."}
        )
    if by.pk not in set(locked.signatures.values_list("user_id", flat=True)) and not by.has_role(
        frozenset({Role.ADMIN})
    ):
        raise PermissionDenied("Only a signer or an admin activates a signed agreement.")
    at = at or timezone.now()
    previous = (
        AgreementVersion.objects.select_for_update()
        .filter(status=Status.ACTIVE)
        .exclude(pk=locked.pk)
        .first()
    )
    if previous is not None:
        # Supersede first: the database allows one active version at a time.
        previous.status, previous.superseded_at, previous.updated_at = Status.SUPERSEDED, at, at
        previous.save(update_fields=["status", "superseded_at", "updated_at"])
        audit_record(
            actor=by,
            action="agreement.supersede",
            obj=previous,
            summary=f"Agreement v{previous.number} superseded by v{locked.number}",
            changes={"status": [Status.ACTIVE, Status.SUPERSEDED], "superseded_by": locked.number},
            at=at,
        )
    locked.status, locked.activated_at, locked.updated_at = Status.ACTIVE, at, at
    locked.save(update_fields=["status", "activated_at", "updated_at"])
    audit_record(
        actor=by,
        action="agreement.activate",
        obj=locked,
        summary=f"Agreement v{locked.number} is active"
        + (f"; it supersedes v{previous.number}" if previous is not None else ""),
        changes={
            "status": [Status.SIGNED, Status.ACTIVE],
            "supersedes": previous.number if previous is not None else None,
        },
        at=at,
    )
    return _refresh(version, locked)


@transaction.atomic
def agreement_withdraw(
    *, version: AgreementVersion, by: User, reason: str = "", at: datetime | None = None
) -> AgreementVersion:
    """Abandon a draft or a proposal. It stays readable, with any signature it collected."""
    _require_editor(by, "withdraw the agreement")
    locked = _locked(version)
    if locked.status not in (Status.DRAFT, Status.PROPOSED):
        raise ValidationError(
            {
                "status": f"Only a draft or a proposed version can be withdrawn; version {locked.number} is "
                f"{_status_phrase(locked)}."
            }
        )
    at = at or timezone.now()
    before = locked.status
    locked.status, locked.withdrawn_at, locked.updated_at = Status.WITHDRAWN, at, at
    locked.save(update_fields=["status", "withdrawn_at", "updated_at"])
    audit_record(
        actor=by,
        action="agreement.withdraw",
        obj=locked,
        summary=f"Withdrew agreement v{locked.number}"
        + (f": {reason.strip()[:200]}" if reason.strip() else ""),
        changes={"status": [before, Status.WITHDRAWN], "reason": reason.strip()},
        at=at,
    )
    return _refresh(version, locked)


@transaction.atomic
def agreement_demo_ensure(
    *,
    head_of_marketing: User,
    head_of_sales: User,
    qualifiers: Iterable[User] = (),
    at: datetime | None = None,
) -> AgreementVersion:
    """The demo company's agreement: the default content as v1, drafted and proposed by the head
    of marketing, signed by both heads, active. Leaves an existing active agreement alone."""
    active = AgreementVersion.objects.filter(status=Status.ACTIVE).first()
    if active is not None:
        return active
    at = at or timezone.now()
    draft = agreement_draft_create(by=head_of_marketing, at=at)
    agreement_draft_update(
        version=draft,
        by=head_of_marketing,
        qualifiers=[u.pk for u in qualifiers],
        change_note="Our first written agreement, from the kick-off meeting of both teams.",
        at=at + timedelta(hours=1),
    )
    agreement_propose(version=draft, by=head_of_marketing, at=at + timedelta(hours=2))
    agreement_sign(version=draft, user=head_of_marketing, side=Side.MARKETING, at=at + timedelta(hours=3))
    return agreement_sign(version=draft, user=head_of_sales, side=Side.SALES, at=at + timedelta(days=1))
