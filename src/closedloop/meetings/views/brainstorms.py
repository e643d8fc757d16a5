"""Brainstorm pages: start one (with the sales rotation proposed), submit ideas anonymously, build,
map into themes, vote, and turn chosen ideas into action items."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission
from closedloop.meetings.models import BrainstormStatus, Idea, Technique
from closedloop.meetings.models.brainstorms import MAX_PARTICIPANTS
from closedloop.meetings.selectors import brainstorms as selectors
from closedloop.meetings.selectors.meetings import series_visible_to
from closedloop.meetings.services import brainstorms as services
from closedloop.meetings.views.common import errors_to_messages, parse_date, parse_int, user_or_error
from closedloop.meetings.views.meetings import _internal_users


@requires(Permission.VIEW_MEETINGS)
def brainstorm_list(request: HttpRequest) -> HttpResponse:
    context = {
        "brainstorms": selectors.brainstorm_list(),
        "techniques": Technique.choices,
        "people": _internal_users(),
        "rotation": selectors.rotation_proposal(count=2),
        "max_participants": MAX_PARTICIPANTS,
        "series": series_visible_to(user=request.user),  # type: ignore[arg-type]
    }
    return render(request, "meetings/brainstorms.html", context)


@require_POST
@requires(Permission.EDIT_MEETINGS)
def brainstorm_new(request: HttpRequest) -> HttpResponse:
    post = request.POST
    try:
        people = list(
            User.objects.filter(
                pk__in=[p for p in post.getlist("participants") if p.isdigit()], is_active=True
            )
        )
        series_id = parse_int(post.get("series"), "series")
        brainstorm = services.brainstorm_create(
            question=post.get("question", ""),
            technique=post.get("technique", ""),
            participants=people,
            directions=post.get("directions", ""),
            votes_per_person=parse_int(post.get("votes_per_person"), "votes_per_person") or 3,
            series=series_visible_to(user=request.user).filter(pk=series_id or 0).first(),  # type: ignore[arg-type]
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        errors_to_messages(request, exc)
        return redirect("meetings:brainstorms")
    return redirect("meetings:brainstorm", brainstorm_id=brainstorm.pk)


def _brainstorm_or_404(brainstorm_id: int):  # type: ignore[no-untyped-def]
    brainstorm = selectors.brainstorm_get(brainstorm_id=brainstorm_id)
    if brainstorm is None:
        raise Http404("No such brainstorm.")
    return brainstorm


@requires(Permission.VIEW_MEETINGS)
def brainstorm_detail(request: HttpRequest, brainstorm_id: int) -> HttpResponse:
    brainstorm = _brainstorm_or_404(brainstorm_id)
    user = request.user
    round_no = parse_int(request.GET.get("round"), "round") if request.GET.get("round", "").isdigit() else 1
    ideas = selectors.ideas_ranked(brainstorm=brainstorm)
    participant = selectors.is_participant(brainstorm=brainstorm, user=user)  # type: ignore[arg-type]
    my_votes = selectors.votes_of(brainstorm=brainstorm, user=user)  # type: ignore[arg-type]
    # Nominal group: ideas are written silently and shown together when voting starts.
    hide_ideas = (
        brainstorm.technique == Technique.NOMINAL_GROUP and brainstorm.status == BrainstormStatus.COLLECTING
    )
    context = {
        "brainstorm": brainstorm,
        "ideas": [] if hide_ideas else ideas,
        "idea_count": len(ideas),
        "hide_ideas": hide_ideas,
        "participant": participant,
        "participants": brainstorm.participants.select_related("user"),
        "facilitator": brainstorm.facilitator_id == user.pk,
        "my_votes": my_votes,
        "votes_left": brainstorm.votes_per_person - len(my_votes),
        "directions": list(enumerate(brainstorm.direction_list)),
        "passing_idea": selectors.passing_assignment(brainstorm=brainstorm, user=user, round=round_no or 1)  # type: ignore[arg-type]
        if brainstorm.technique == Technique.GROUP_PASSING and participant
        else None,
        "round": round_no or 1,
        "themes": brainstorm.themes.all(),
        "people": _internal_users(),
    }
    return render(request, "meetings/brainstorm.html", context)


def _run(request: HttpRequest, action) -> None:  # type: ignore[no-untyped-def]
    try:
        action()
    except ValidationError as exc:
        errors_to_messages(request, exc)
    except PermissionDenied as exc:
        messages.error(request, str(exc))


@require_POST
@requires(Permission.EDIT_MEETINGS)
def brainstorm_post(request: HttpRequest, brainstorm_id: int, what: str) -> HttpResponse:
    brainstorm = _brainstorm_or_404(brainstorm_id)
    user, post = request.user, request.POST
    if what == "idea":
        direction = (
            parse_int(post.get("direction"), "direction") if post.get("direction", "").isdigit() else None
        )

        def submit() -> None:
            services.idea_submit(
                brainstorm=brainstorm, text=post.get("text", ""), direction=direction, by=user
            )  # type: ignore[arg-type]
            messages.success(request, "Idea received, anonymously.")

        _run(request, submit)
    elif what == "advance":
        _run(request, lambda: services.brainstorm_advance(brainstorm=brainstorm, by=user))
    else:
        raise Http404("Unknown action.")
    return redirect("meetings:brainstorm", brainstorm_id=brainstorm.pk)


@require_POST
@requires(Permission.EDIT_MEETINGS)
def idea_post(request: HttpRequest, idea_id: int, what: str) -> HttpResponse:
    idea = Idea.objects.select_related("brainstorm").filter(pk=idea_id).first()
    if idea is None:
        raise Http404("No such idea.")
    user, post = request.user, request.POST
    if what == "vote":
        _run(request, lambda: services.idea_vote(idea=idea, by=user))
    elif what == "theme":
        _run(request, lambda: services.theme_assign(idea=idea, theme_name=post.get("theme", ""), by=user))
    elif what == "build":
        round_no = parse_int(post.get("round"), "round") if post.get("round", "").isdigit() else 1
        _run(
            request,
            lambda: services.idea_build(idea=idea, text=post.get("text", ""), round=round_no or 1, by=user),
        )
    elif what == "choose":

        def choose() -> None:
            services.idea_choose(
                idea=idea, owner=user_or_error(post.get("owner"), "owner"),
                due_on=parse_date(post.get("due_on"), "due_on"), by=user,  # type: ignore[arg-type]
            )  # fmt: skip
            messages.success(request, "The idea is now an action item.")

        _run(request, choose)
    else:
        raise Http404("Unknown action.")
    return redirect("meetings:brainstorm", brainstorm_id=idea.brainstorm_id)
