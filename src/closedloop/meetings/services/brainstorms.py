"""Brainstorm writes (seed 003). Anonymity is the point of the nominal group technique, so writes
that create an idea or a build record the action in the audit log without its actor: the log says
that an idea came in, never who wrote it."""

import secrets
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission
from closedloop.audit.services import audit_record
from closedloop.meetings.access import require
from closedloop.meetings.models import (
    ActionItem,
    Brainstorm,
    BrainstormParticipant,
    BrainstormStatus,
    Idea,
    IdeaBuild,
    IdeaVote,
    MeetingSeries,
    Technique,
    Theme,
)
from closedloop.meetings.models.brainstorms import MAX_PARTICIPANTS
from closedloop.meetings.services.meetings import action_item_create


@transaction.atomic
def brainstorm_create(
    *,
    question: str,
    technique: str,
    participants: list[User],
    by: User,
    directions: str = "",
    votes_per_person: int = 3,
    series: MeetingSeries | None = None,
) -> Brainstorm:
    require(by, Permission.EDIT_MEETINGS, "run brainstorms")
    question = (question or "").strip()
    if not question:
        raise ValidationError({"question": "is required: one powerful question"})
    if len(question) > 300:
        raise ValidationError({"question": "is longer than 300 characters"})
    if technique not in Technique.values:
        raise ValidationError({"technique": f"must be one of {', '.join(Technique.values)}"})
    people = list(dict.fromkeys(participants))
    if len(people) < 2:
        raise ValidationError({"participants": "a brainstorm needs at least 2 participants"})
    if len(people) > MAX_PARTICIPANTS:
        raise ValidationError({"participants": f"at most {MAX_PARTICIPANTS} participants, got {len(people)}"})
    outsiders = [p.username for p in people if not p.has_role(Permission.EDIT_MEETINGS)]
    if outsiders:
        raise ValidationError({"participants": f"cannot take part: {', '.join(outsiders)}"})
    if technique == Technique.DIRECTED and not directions.strip():
        raise ValidationError({"directions": "directed brainstorming needs at least one direction"})
    if not 1 <= votes_per_person <= 10:
        raise ValidationError({"votes_per_person": "must be 1 to 10"})
    brainstorm = Brainstorm.objects.create(
        question=question,
        technique=technique,
        facilitator=by,
        directions=directions.strip(),
        votes_per_person=votes_per_person,
        series=series,
        created_at=timezone.now(),
    )
    BrainstormParticipant.objects.bulk_create(
        BrainstormParticipant(brainstorm=brainstorm, user=p, position=i) for i, p in enumerate(people)
    )
    audit_record(
        actor=by, action="brainstorm.create", obj=brainstorm, summary=f"Started brainstorm “{question}”"
    )
    return brainstorm


def _fresh(brainstorm_id: int) -> Brainstorm:
    # Status decides what is allowed; read it under a lock, not from a possibly stale object.
    return Brainstorm.objects.select_for_update().get(pk=brainstorm_id)


def _participant(brainstorm: Brainstorm, user: User) -> BrainstormParticipant:
    seat = brainstorm.participants.filter(user=user).first()
    if seat is None:
        raise PermissionDenied("you are not a participant of this brainstorm")
    return seat


def _facilitates(brainstorm: Brainstorm, user: User) -> None:
    if brainstorm.facilitator_id != user.pk and not user.is_superuser:
        raise PermissionDenied("only the facilitator may do this")


@transaction.atomic
def idea_submit(*, brainstorm: Brainstorm, text: str, by: User, direction: int | None = None) -> Idea:
    brainstorm = _fresh(brainstorm.pk)
    _participant(brainstorm, by)
    if brainstorm.status != BrainstormStatus.COLLECTING:
        raise ValidationError({"status": "this brainstorm no longer takes ideas"})
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "is required"})
    if len(text) > 2000:
        raise ValidationError({"text": "is longer than 2000 characters"})
    if brainstorm.technique == Technique.DIRECTED:
        if direction is None or not 0 <= direction < len(brainstorm.direction_list):
            raise ValidationError({"direction": "pick one of the facilitator's directions"})
    else:
        direction = None
    idea = Idea.objects.create(
        brainstorm=brainstorm, text=text, direction=direction, shuffle_key=secrets.token_hex(16)
    )
    # No actor, on purpose (module docstring).
    audit_record(
        actor=None, action="brainstorm.idea", obj=brainstorm, summary="An anonymous idea was submitted"
    )
    return idea


@transaction.atomic
def idea_build(*, idea: Idea, text: str, by: User, round: int) -> IdeaBuild:
    """Group passing: add to an idea as it passes by."""
    brainstorm = _fresh(idea.brainstorm_id)
    _participant(brainstorm, by)
    if brainstorm.technique != Technique.GROUP_PASSING or brainstorm.status != BrainstormStatus.COLLECTING:
        raise ValidationError(
            {"idea": "ideas can only be built on while a group-passing brainstorm collects"}
        )
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "is required"})
    build = IdeaBuild.objects.create(idea=idea, text=text[:2000], round=round)
    audit_record(
        actor=None, action="brainstorm.build", obj=brainstorm, summary="An idea was built on anonymously"
    )
    return build


@transaction.atomic
def theme_assign(*, idea: Idea, theme_name: str, by: User) -> Theme | None:
    """Idea mapping: put an idea under a theme (created on first use); an empty name removes it."""
    _participant(idea.brainstorm, by) if idea.brainstorm.facilitator_id != by.pk else None
    name = (theme_name or "").strip()[:120]
    theme = Theme.objects.get_or_create(brainstorm=idea.brainstorm, name=name)[0] if name else None
    idea.theme = theme
    idea.save(update_fields=["theme"])
    audit_record(
        actor=by, action="brainstorm.theme", obj=idea.brainstorm, summary=f"Grouped an idea under “{name}”"
    )
    return theme


@transaction.atomic
def brainstorm_advance(*, brainstorm: Brainstorm, by: User) -> Brainstorm:
    """Collecting → voting → closed; only the facilitator moves it on."""
    _facilitates(brainstorm, by)
    brainstorm = Brainstorm.objects.select_for_update().get(pk=brainstorm.pk)
    before = brainstorm.status
    if before == BrainstormStatus.COLLECTING:
        if not brainstorm.ideas.exists():
            raise ValidationError({"status": "no ideas yet: collect some before voting"})
        brainstorm.status = BrainstormStatus.VOTING
    elif before == BrainstormStatus.VOTING:
        brainstorm.status = BrainstormStatus.CLOSED
        brainstorm.closed_at = timezone.now()
    else:
        raise ValidationError({"status": "this brainstorm is already closed"})
    brainstorm.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=by, action="brainstorm.advance", obj=brainstorm, summary=f"Moved brainstorm to {brainstorm.status}",
        changes={"status": [before, brainstorm.status]},
    )  # fmt: skip
    return brainstorm


@transaction.atomic
def idea_vote(*, idea: Idea, by: User) -> bool:
    """Toggle `by`'s vote for `idea`; returns True when the vote is now cast."""
    brainstorm = _fresh(idea.brainstorm_id)
    _participant(brainstorm, by)
    if brainstorm.status != BrainstormStatus.VOTING:
        raise ValidationError({"status": "voting is not open"})
    deleted, _ = IdeaVote.objects.filter(idea=idea, voter=by).delete()
    if deleted:
        return False
    used = IdeaVote.objects.filter(idea__brainstorm=brainstorm, voter=by).count()
    if used >= brainstorm.votes_per_person:
        raise ValidationError({"votes": f"you have used all {brainstorm.votes_per_person} votes"})
    IdeaVote.objects.create(idea=idea, voter=by)
    return True


@transaction.atomic
def idea_choose(*, idea: Idea, owner: User | None, due_on: date | None, by: User) -> ActionItem:
    """A chosen idea becomes an action item (on the brainstorm's meeting series, if it has one)."""
    brainstorm = _fresh(idea.brainstorm_id)
    _facilitates(brainstorm, by)
    if brainstorm.status != BrainstormStatus.CLOSED:
        raise ValidationError({"status": "choose ideas once the brainstorm is closed"})
    item = action_item_create(
        title=idea.text[:200], owner=owner, due_on=due_on, by=by, series=brainstorm.series, source_idea=idea
    )
    idea.chosen = True
    idea.save(update_fields=["chosen"])
    return item
