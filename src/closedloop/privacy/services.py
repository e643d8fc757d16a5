"""Writes for personal data: export (recorded), erasure, retention settings.

The audit entries written here carry the contact's id and counts only: the audit log outlives an
erasure, so it must never be where the erased person's name or address survives."""

from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from closedloop.audit.models import AuditEntry
from closedloop.audit.services import audit_record
from closedloop.crm.models import Contact
from closedloop.privacy import erasure, selectors
from closedloop.privacy.audit_permit import audit_rewrite_permit
from closedloop.privacy.inventory import HOLDERS
from closedloop.privacy.models import ErasureRecord, RetentionPolicy
from closedloop.privacy.scrub import needles_for, scrub_everywhere


class _ContactRef:
    """Stands for a contact in the audit log: str(contact) would write its name or address there."""

    _meta = Contact._meta

    def __init__(self, pk: int) -> None:
        self.pk = pk

    def __str__(self) -> str:
        return f"Contact {self.pk}"


def contact_export(contact: Contact, *, by: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """Everything held about the contact (selectors.contact_personal_data), recorded in the audit log."""
    with transaction.atomic():
        data = selectors.contact_personal_data(contact, now=now)
        records = sum(len(rows) for rows in data["records"].values())
        audit_record(
            actor=by,
            action="privacy.export",
            obj=cast(models.Model, _ContactRef(contact.pk)),
            summary=f"exported the personal data of contact {contact.pk} ({records} records)",
            changes={"records": records},
        )
    return data


def contact_erase(contact: Contact, *, by: Any, reason: str, now: datetime | None = None) -> ErasureRecord:
    """Remove the contact's personal data from every table of the inventory, in one transaction.

    Rows that aggregates count (events, deals, stage transitions, handoffs, consent proof) stay,
    stripped of what identifies the person; the contact becomes an anonymous tombstone."""
    if reason not in ErasureRecord.Reason.values:
        raise ValidationError(
            {"reason": f"reason must be one of {', '.join(ErasureRecord.Reason.values)}, not {reason!r}"}
        )
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the row: two erasures of one contact at once must not both run.
        locked = Contact.objects.select_for_update().filter(pk=contact.pk).first()
        if locked is None:
            raise ValidationError({"contact": f"contact {contact.pk} does not exist"})
        if ErasureRecord.objects.filter(contact_number=locked.pk).exists():
            raise ValidationError({"contact": f"contact {locked.pk} has already been erased"})
        needles = needles_for(
            email=locked.email, first_name=locked.first_name, last_name=locked.last_name, phone=locked.phone
        )
        counts: dict[str, int] = {}
        was_suppressed = False
        for label, step in erasure.STEPS.items():
            changed = step(locked, needles, now)
            if label == "automation.suppression":
                was_suppressed = changed > 0
            if changed:
                counts[label] = changed
        with audit_rewrite_permit():
            for label, changed in scrub_everywhere(needles, HOLDERS).items():
                counts[label] = counts.get(label, 0) + changed
            # Entries about the contact named it when written ("Ada Lovelace"); only the id stays.
            AuditEntry.objects.filter(object_type="crm.contact", object_id=str(locked.pk)).update(
                object_repr=str(_ContactRef(locked.pk))
            )
        record = ErasureRecord.objects.create(
            contact=locked,
            contact_number=locked.pk,
            email_hash=selectors.email_hash(locked.email) if locked.email else "",
            was_suppressed=was_suppressed,
            reason=reason,
            erased_at=now,
            erased_by=by if getattr(by, "pk", None) else None,
            counts=counts,
        )
        erasure.contact_tombstone(locked)
        audit_record(
            actor=by,
            action="privacy.erase",
            obj=cast(models.Model, _ContactRef(locked.pk)),
            summary=f"erased the personal data of contact {locked.pk} ({reason})",
            changes={"reason": reason, "counts": counts},
            at=now,
        )
    contact.refresh_from_db()
    return record


RETENTION_FIELDS = ("event_days", "anonymous_event_days", "email_body_days", "inactive_contact_months")
# Upper bounds that catch typos (36500 days = 100 years) without limiting any real policy.
_RETENTION_MAX = {
    "event_days": 36500,
    "anonymous_event_days": 36500,
    "email_body_days": 36500,
    "inactive_contact_months": 1200,
}


def retention_policy_update(*, by: Any, **values: int | None) -> RetentionPolicy:
    """Change the retention settings; None means keep forever (or off). Audited."""
    errors: dict[str, str] = {}
    for name, value in values.items():
        if name not in RETENTION_FIELDS:
            errors[name] = f"unknown retention setting {name!r}"
        elif value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _RETENTION_MAX[name]
        ):
            errors[name] = f"must be a whole number from 1 to {_RETENTION_MAX[name]}, or blank for no limit"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        policy = (
            RetentionPolicy.objects.select_for_update().filter(pk=1).first()
            or selectors.retention_policy_get()
        )
        before = {name: getattr(policy, name) for name in RETENTION_FIELDS}
        for name, value in values.items():
            setattr(policy, name, value)
        policy.updated_by = by if getattr(by, "pk", None) else None
        policy.save()
        after = {name: getattr(policy, name) for name in RETENTION_FIELDS}
        changes = {k: [before[k], after[k]] for k in RETENTION_FIELDS if before[k] != after[k]}
        if changes:
            audit_record(
                actor=by,
                action="privacy.retention_update",
                obj=policy,
                summary="changed the retention settings",
                changes=changes,
            )
    return policy
