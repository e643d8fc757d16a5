"""Writes for the CRM core: contacts, accounts, stage changes. Each runs in a transaction."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from email_validator import EmailNotValidError, validate_email

from closedloop.accounts.models import User
from closedloop.agreement.stage_engine import stages_reevaluate
from closedloop.crm.lifecycle import STAGE_ORDER
from closedloop.crm.models import Account, Contact, StageTransition
from closedloop.crm.names import normalize_company_name, normalize_email
from closedloop.crm.signals import contacts_entered_stage

CONTACT_FIELDS = ("first_name", "last_name", "title", "phone", "persona")


def account_get_or_create(*, name: str, defaults: Mapping[str, Any] | None = None) -> Account:
    normalized = normalize_company_name(name)
    if not normalized:
        raise ValidationError({"company": f"company name {name!r} has no letters or digits"})
    account, _ = Account.objects.get_or_create(
        normalized_name=normalized, defaults={"name": name.strip(), **(defaults or {})}
    )
    return account


@transaction.atomic
def contact_change_stage(
    *,
    contact: Contact,
    to_stage: str,
    cause: str,
    at: datetime | None = None,
    detail: str = "",
    by: User | None = None,
) -> StageTransition | None:
    """Move a contact to a stage and record why. Returns None when it is already there."""
    if to_stage not in STAGE_ORDER:
        raise ValidationError(
            {"lifecycle_stage": f"unknown stage {to_stage!r}; one of {', '.join(STAGE_ORDER)}"}
        )
    if contact.lifecycle_stage == to_stage:
        return None
    transition = StageTransition.objects.create(
        contact=contact,
        from_stage=contact.lifecycle_stage,
        to_stage=to_stage,
        at=at or timezone.now(),
        cause=cause,
        detail=detail,
        by=by,
    )
    contact.lifecycle_stage = to_stage
    contact.save(update_fields=["lifecycle_stage", "updated_at"])
    contacts_entered_stage.send(sender=Contact, stage=to_stage, contact_ids=[contact.pk])
    return transition


@transaction.atomic
def contact_upsert(
    *,
    email: str,
    fields: Mapping[str, Any],
    company: str | None = None,
    lifecycle_stage: str | None = None,
    owner: User | None = None,
    properties: Mapping[str, Any] | None = None,
    cause: str = StageTransition.Cause.API,
    by: User | None = None,
) -> tuple[Contact, bool]:
    """Create or update the contact with this email. Blank values never overwrite stored ones,
    so a partial update from a form cannot erase what sales typed in."""
    email = normalize_email(email)
    try:
        # The same validator as the API schemas, so internationalised addresses (zoë@exämple.com) pass.
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError({"email": f"{email!r} is not a valid email address"}) from exc
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "unknown contact field"})

    contact = Contact.objects.select_for_update().filter(email=email).first()
    created = contact is None
    if contact is None:
        contact = Contact(email=email, created_at=timezone.now())
    for name, value in fields.items():
        if value not in (None, ""):
            setattr(contact, name, value)
    if company:
        contact.account = account_get_or_create(name=company)
    if owner is not None:
        contact.owner = owner
    if properties:
        contact.properties = {**contact.properties, **properties}
    contact.full_clean(exclude=["email", "account", "owner", "source_campaign", "lifecycle_stage"])
    contact.save()
    if created:
        StageTransition.objects.create(
            contact=contact,
            from_stage="",
            to_stage=contact.lifecycle_stage,
            at=contact.created_at,
            cause=cause,
            by=by,
        )
    if lifecycle_stage:
        contact_change_stage(contact=contact, to_stage=lifecycle_stage, cause=cause, by=by)
    # A changed field (persona, account, score) can qualify the contact for a later stage.
    if stages_reevaluate(contact_ids=[contact.pk]).moved:
        contact.refresh_from_db(fields=["lifecycle_stage", "updated_at"])
    return contact, created
