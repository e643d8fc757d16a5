"""Demo goals, meetings, a finished brainstorm and a live feed for the demo company: the weekly
sales–marketing sync with a generated agenda pack and action items carried over, the monthly heads
meeting, the PPC review the agency joins, this period's goals with targets a little above last
period, wins on the feed with the campaigns that helped, and a closed nominal-group brainstorm."""

import random
from collections.abc import Callable
from datetime import date, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from closedloop.accounts.models import Team, User
from closedloop.crm.models import Deal
from closedloop.meetings.metrics import METRICS
from closedloop.meetings.models import (
    ActionItem,
    Brainstorm,
    FeedItem,
    MeetingOccurrence,
    MeetingSeries,
)
from closedloop.meetings.pace import period_bounds, period_first_day, period_previous_first_day
from closedloop.meetings.services import brainstorms as bs
from closedloop.meetings.services.feed import feed_comment, feed_post, feed_react, feed_win_record
from closedloop.meetings.services.goals import goal_create
from closedloop.meetings.services.meetings import (
    action_item_complete,
    action_item_create,
    agenda_item_add,
    decision_record,
    occurrence_pack_generate,
    series_create,
)

SEED = 2718
_NO_MAIL = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
# (metric, period kind, team, visibility, stretch over last period)
GOALS = (
    ("mqls", "month", "Marketing", "shared", Decimal("1.10")),
    ("new_leads", "month", "Marketing", "shared", Decimal("1.05")),
    ("sqls", "quarter", "Marketing", "shared", Decimal("1.10")),
    ("deals_won", "month", "Sales", "shared", Decimal("1.10")),
    ("revenue_won", "quarter", "Sales", "shared", Decimal("1.15")),
    ("handoffs_accepted", "month", "Sales", "team", Decimal("1.10")),
    ("new_leads", "month", "Brightlane Agency", "team", Decimal("1.20")),
)
FEEDBACK = (
    ("rep_feedback", "chen", "The ops-manager ROI calculator got me past procurement at a 400-seat account",
     "Sent it before the call; the buyer had already filled it in.", "ROI calculator"),
    ("rep_feedback", "jordan", "PPC free-trial leads still think the product is free",
     "Three of five leads this week asked about the free plan we do not sell.", "PPC landing page"),
    ("customer_feedback", None, "Churn reason: onboarding took six weeks",
     "Exit survey answer from a 50-seat customer.", ""),
    ("campaign_result", "priya", "Ops webinar: 41 attendees, 9 became SQLs",
     "Best webinar this quarter; the recording goes to nurture.", "Ops webinar"),
)  # fmt: skip


def seed(log: Callable[[str], object]) -> None:
    if MeetingSeries.objects.exists():
        return
    people = {u.username: u for u in User.objects.filter(is_active=True)}
    maya, sam = people.get("maya"), people.get("sam")
    if maya is None or sam is None:
        log("  meetings: the demo heads (maya, sam) are missing; no meeting records")
        return
    teams = {t.name: t for t in Team.objects.all()}
    rng = random.Random(SEED)
    with override_settings(MAILERS=_NO_MAIL), transaction.atomic():
        goals = _goals(maya, teams)
        series = _meetings(people, teams)
        wins = _feed(people, rng)
        _brainstorm(people, series[0])
    log(f"  {goals} goals, {len(series)} meeting series with a generated agenda pack, {wins} wins on the live feed, "
        "a finished brainstorm")  # fmt: skip


def _goals(by: User, teams: dict[str, Team]) -> int:
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    made = 0
    for metric, kind, team_name, visibility, stretch in GOALS:
        team = teams.get(team_name)
        if team is None:
            continue
        first = period_first_day(kind, today)
        start, end = period_bounds(kind, period_previous_first_day(kind, first), tz)
        last = METRICS[metric].compute(start, end)
        target = max((last * stretch).quantize(Decimal(1)), Decimal(1))
        goal_create(metric=metric, period_kind=kind, period_start=first, target=target, team=team,
                    visibility=visibility, note="Set at the start of the period from last period's result.", by=by)  # fmt: skip
        made += 1
    return made


def _meetings(people: dict[str, User], teams: dict[str, Team]) -> list[MeetingSeries]:
    maya, sam = people["maya"], people["sam"]
    everyone = [
        p for name, p in people.items() if name in ("maya", "sam", "tom", "priya", "alex", "chen", "jordan")
    ]
    today = timezone.localdate()
    weekly = series_create(name="Weekly sales–marketing sync", cadence="weekly", weekday=0, start_time=time(9, 30),
                           starts_on=today - timedelta(days=35), duration_minutes=45, location="Room 2 / video",
                           participants=everyone, by=maya)  # fmt: skip
    monthly = series_create(name="Monthly heads meeting", cadence="monthly", day_of_month=3, start_time=time(14, 0),
                            starts_on=today - timedelta(days=62), duration_minutes=60, participants=[maya, sam], by=sam)  # fmt: skip
    made = [weekly, monthly]
    agency = teams.get("Brightlane Agency")
    if agency is not None:
        made.append(series_create(name="PPC review with Brightlane", cadence="monthly", day_of_month=10,
                                  start_time=time(11, 0), starts_on=today - timedelta(days=62),
                                  participants=[maya, people.get("tom") or maya], partner_team=agency, by=maya))  # fmt: skip
    now = timezone.now()
    past = list(weekly.occurrences.filter(starts_at__lt=now).order_by("starts_at"))
    upcoming = weekly.occurrences.filter(starts_at__gte=now).order_by("starts_at").first()
    rep = people.get("alex") or sam
    if len(past) >= 2:
        first, last = past[-2], past[-1]
        decision_record(
            occurrence=first,
            text="Pause the PPC free-trial ads until the landing page matches what we sell.",
            by=maya,
        )
        fix = action_item_create(title="Rewrite the PPC landing page with sales", owner=people.get("tom") or maya,
                                 due_on=first.starts_at.date() + timedelta(days=5), occurrence=first, by=maya)  # fmt: skip
        _backdate(fix, first)
        reasons = action_item_create(title="Add a reason to every rejected lead this week", owner=rep,
                                     due_on=first.starts_at.date() + timedelta(days=3), occurrence=first, by=sam)  # fmt: skip
        _backdate(reasons, first)
        action_item_complete(item=reasons, by=rep, now=first.starts_at + timedelta(days=2))
        agenda_item_add(
            occurrence=last, title="Why did MQL → SQL drop?", body="Friction sentence in the pack.", by=sam
        )
        occurrence_pack_generate(occurrence=last, by=maya)
    if upcoming is not None:
        agenda_item_add(occurrence=upcoming, title="Review the new lead-score threshold", by=sam)
        occurrence_pack_generate(occurrence=upcoming, by=maya)
    for occurrence in monthly.occurrences.filter(starts_at__lt=now).order_by("-starts_at")[:1]:
        occurrence_pack_generate(occurrence=occurrence, by=sam)
    return made


def _backdate(item: ActionItem, occurrence: MeetingOccurrence) -> None:
    ActionItem.objects.filter(pk=item.pk).update(created_at=occurrence.starts_at)


def _feed(people: dict[str, User], rng: random.Random) -> int:
    since = timezone.now() - timedelta(days=30)
    deals = (
        Deal.objects.filter(stage=Deal.DealStage.WON, closed_at__gte=since)
        .select_related("owner", "contact", "source_campaign")
        .order_by("closed_at")[:12]
    )
    wins = [feed_win_record(deal=d) for d in deals]
    for kind, author, title, body, content in FEEDBACK:
        feed_post(
            kind=kind, title=title, body=body, content_ref=content, by=people.get(author) if author else None
        )
    reactors = [p for name, p in people.items() if name in ("maya", "sam", "tom", "priya", "alex", "chen")]
    for item in FeedItem.objects.order_by("-id")[:10]:
        for person in rng.sample(reactors, k=min(len(reactors), rng.randint(1, 4))):
            feed_react(item=item, emoji=rng.choice(("🎉", "👍", "❤️")), by=person)
    if wins and "maya" in people:
        feed_comment(
            item=wins[-1],
            body="The ops webinar shows up in yet another win. More of those!",
            by=people["maya"],
        )
    return len(wins)


def _brainstorm(people: dict[str, User], series: MeetingSeries) -> None:
    maya = people["maya"]
    cast = [people[n] for n in ("maya", "sam", "chen", "jordan", "tom") if n in people]
    b = bs.brainstorm_create(question="What would make a lead worth calling within the hour?",
                             technique="nominal_group", participants=cast, by=maya, series=series)  # fmt: skip
    Brainstorm.objects.filter(pk=b.pk).update(created_at=timezone.now() - timedelta(days=9))
    texts = ("Alert the rep within 5 minutes of a demo request", "Show reps which pages the lead read",
             "Drop the free-trial wording from PPC ads", "Text the lead a calendar link", "Score pricing-page visits higher")  # fmt: skip
    ideas = [bs.idea_submit(brainstorm=b, text=t, by=p) for t, p in zip(texts, cast, strict=False)]
    bs.brainstorm_advance(brainstorm=b, by=maya)
    ballots = {0: cast, 1: cast[:3], 2: cast[1:3], 3: cast[3:]}
    for index, voters in ballots.items():
        if index < len(ideas):
            for voter in voters:
                bs.idea_vote(idea=ideas[index], by=voter)
    bs.brainstorm_advance(brainstorm=b, by=maya)
    bs.idea_choose(
        idea=ideas[0], owner=people.get("sam") or maya, due_on=date.today() + timedelta(days=10), by=maya
    )
