"""Persona writes: create and edit a persona, add or replace a contribution, comment."""

import re
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission
from closedloop.audit.services import audit_record
from closedloop.content.models import Persona, PersonaComment, PersonaContribution, PersonaSection
from closedloop.content.rich_text import text_clean
from closedloop.content.sides import side_of
from closedloop.crm.lifecycle import Stage
from closedloop.rules import validate

# The same shape agreement personas use, so `persona == "ops_manager"` works in every rule.
SLUG = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


def check_may_edit(user: User) -> None:
    if not user.has_role(Permission.EDIT_CONTENT):
        raise PermissionDenied("Your role may not edit personas or content.")


def _rule_checked(source: str, field: str = "match_rule") -> str:
    source = (source or "").strip()
    if not source:
        raise ValidationError({field: "write a rule that picks the contacts of this persona"})
    errors = validate(source)
    if errors:
        err = errors[0]
        raise ValidationError({field: f"line {err.line}, column {err.column}: {err.message}"})
    return source


@transaction.atomic
def persona_create(
    *, slug: str, name: str, summary: str = "", match_rule: str = "", by: User, now: datetime | None = None
) -> Persona:
    check_may_edit(by)
    now = now or timezone.now()
    slug = (slug or "").strip()
    name = text_clean(name, max_length=120)
    errors: dict[str, str] = {}
    if not SLUG.match(slug):
        errors["slug"] = "use lower-case letters, digits and _ starting with a letter, e.g. ops_manager"
    elif Persona.objects.filter(slug=slug).exists():
        errors["slug"] = f"a persona {slug!r} already exists"
    if not name:
        errors["name"] = "give the persona a name"
    if errors:
        raise ValidationError(errors)
    rule = _rule_checked(match_rule or f'persona == "{slug}"')
    persona = Persona.objects.create(
        slug=slug,
        name=name,
        summary=text_clean(summary, max_length=5000),
        match_rule=rule,
        created_by=by,
        created_at=now,
        updated_at=now,
    )
    audit_record(actor=by, action="persona.create", obj=persona, summary=f"Created persona {name}", at=now)
    return persona


@transaction.atomic
def persona_update(
    *,
    persona: Persona,
    by: User,
    name: str | None = None,
    summary: str | None = None,
    match_rule: str | None = None,
    now: datetime | None = None,
) -> Persona:
    check_may_edit(by)
    now = now or timezone.now()
    persona = Persona.objects.select_for_update().get(pk=persona.pk)
    changes: dict[str, list[str]] = {}
    if name is not None:
        clean = text_clean(name, max_length=120)
        if not clean:
            raise ValidationError({"name": "give the persona a name"})
        changes["name"] = [persona.name, clean]
        persona.name = clean
    if summary is not None:
        clean = text_clean(summary, max_length=5000)
        changes["summary"] = [persona.summary, clean]
        persona.summary = clean
    if match_rule is not None:
        clean = _rule_checked(match_rule)
        changes["match_rule"] = [persona.match_rule, clean]
        persona.match_rule = clean
    changes = {k: v for k, v in changes.items() if v[0] != v[1]}
    persona.updated_at = now
    persona.save()
    audit_record(
        actor=by,
        action="persona.update",
        obj=persona,
        summary=f"Edited persona {persona.name}",
        changes=changes,
        at=now,
    )
    return persona


@transaction.atomic
def persona_contribute(
    *,
    persona: Persona,
    section: str,
    text: str,
    by: User,
    stage: str = "",
    replaces: PersonaContribution | None = None,
    now: datetime | None = None,
) -> PersonaContribution:
    """Add what one team knows about the buyer. With `replaces`, the new text supersedes an
    earlier contribution, which is kept (retired) as history."""
    check_may_edit(by)
    now = now or timezone.now()
    side = side_of(by)
    text = text_clean(text, max_length=4000)
    errors: dict[str, str] = {}
    if section not in PersonaSection.values:
        errors["section"] = f"unknown section {section!r}; one of {', '.join(PersonaSection.values)}"
    if stage and stage not in Stage.values:
        errors["stage"] = f"unknown funnel stage {stage!r}; one of {', '.join(Stage.values)} or empty for all"
    if not text:
        errors["text"] = "write the contribution"
    if replaces is not None:
        replaces = PersonaContribution.objects.select_for_update().get(pk=replaces.pk)
        if replaces.persona_id != persona.pk:
            errors["replaces"] = "that contribution belongs to another persona"
        elif replaces.retired_at is not None:
            errors["replaces"] = "that contribution was already replaced; edit the current one"
    if errors:
        raise ValidationError(errors)
    contribution = PersonaContribution.objects.create(
        persona=persona, section=section, stage=stage, text=text, side=side, author=by, created_at=now,
        replaces=replaces,
    )  # fmt: skip
    if replaces is not None:
        replaces.retired_at = now
        replaces.save(update_fields=["retired_at"])
    Persona.objects.filter(pk=persona.pk).update(updated_at=now)
    audit_record(
        actor=by,
        action="persona.contribute",
        obj=persona,
        summary=f"{side.title()} {'revised' if replaces else 'added'} {section.replace('_', ' ')} on {persona.name}",
        changes={
            "section": section,
            "stage": stage,
            "text": text,
            "replaces": replaces.pk if replaces else None,
        },
        at=now,
    )
    return contribution


@transaction.atomic
def persona_comment_add(
    *,
    persona: Persona,
    body: str,
    by: User,
    contribution: PersonaContribution | None = None,
    now: datetime | None = None,
) -> PersonaComment:
    check_may_edit(by)
    now = now or timezone.now()
    side = side_of(by)
    body = text_clean(body, max_length=4000)
    if not body:
        raise ValidationError({"body": "write a comment"})
    if contribution is not None and contribution.persona_id != persona.pk:
        raise ValidationError({"contribution": "that contribution belongs to another persona"})
    comment = PersonaComment.objects.create(
        persona=persona, contribution=contribution, side=side, author=by, body=body, created_at=now
    )
    audit_record(
        actor=by, action="persona.comment", obj=persona, summary=f"Commented on {persona.name}", at=now
    )
    return comment
