"""Brainstorm reads: results by votes, group-passing assignments, and who from sales is next in the
invitation rotation (seed 003: reps are invited in turn)."""

from dataclasses import dataclass

from django.db.models import Count, Max, QuerySet

from closedloop.accounts.models import User
from closedloop.handoff.selectors import sales_reps_list
from closedloop.meetings.models import Brainstorm, BrainstormParticipant, Idea, IdeaVote


def brainstorm_list() -> QuerySet[Brainstorm]:
    return Brainstorm.objects.select_related("facilitator").annotate(idea_count=Count("ideas"))


def brainstorm_get(*, brainstorm_id: int) -> Brainstorm | None:
    return Brainstorm.objects.select_related("facilitator", "series").filter(pk=brainstorm_id).first()


def ideas_ranked(*, brainstorm: Brainstorm) -> list[Idea]:
    """Most votes first; ties in the random shuffle order (never in the order they were written)."""
    return list(
        brainstorm.ideas.select_related("theme")
        .prefetch_related("builds")
        .annotate(vote_count=Count("votes"))
        .order_by("-vote_count", "shuffle_key", "id")
    )


def votes_of(*, brainstorm: Brainstorm, user: User) -> set[int]:
    return set(
        IdeaVote.objects.filter(idea__brainstorm=brainstorm, voter=user).values_list("idea_id", flat=True)
    )


def is_participant(*, brainstorm: Brainstorm, user: User) -> bool:
    return brainstorm.participants.filter(user=user).exists()


def passing_assignment(*, brainstorm: Brainstorm, user: User, round: int) -> Idea | None:
    """Group passing: in round r the participant in seat s builds on idea number (s + r) mod n, so
    after n − 1 rounds each idea has passed through everyone."""
    seats = list(brainstorm.participants.values_list("user_id", flat=True))
    ideas = list(brainstorm.ideas.order_by("id"))
    if user.pk not in seats or not ideas:
        return None
    seat = seats.index(user.pk)
    return ideas[(seat + round) % len(ideas)]


@dataclass(frozen=True)
class RotationEntry:
    user: User
    last_brainstorm: object  # datetime | None


def rotation_proposal(*, count: int = 2) -> list[RotationEntry]:
    """The sales reps to invite next: those who never took part first, then the longest ago; ties by
    name. Seed 003 asks for reps in rotation, so everyone's voice is heard in turn."""
    reps = list(sales_reps_list().filter(role="sales_rep"))
    last = dict(
        BrainstormParticipant.objects.filter(user__in=reps)
        .values_list("user_id")
        .annotate(at=Max("brainstorm__created_at"))
    )
    ordered = sorted(
        reps,
        key=lambda u: (
            last.get(u.pk) is not None,
            last.get(u.pk) or 0,
            u.first_name,
            u.last_name,
            u.username,
        ),
    )
    return [RotationEntry(user=u, last_brainstorm=last.get(u.pk)) for u in ordered[:count]]
