"""Seed 000's detector on hand-built data: a campaign's clicks against its channel's (or its own)
rates, allowing for the time leads and MQLs take. Expected numbers are worked out in comments."""

import math
from datetime import timedelta

import pytest

from closedloop.alarms.detectors import campaign_conversion_gap
from closedloop.alarms.models import Alarm, AlarmKind, AlarmStatus
from closedloop.alarms.services import alarms_check
from closedloop.alarms.tests.builders import campaign_make, clicks_add, leads_add
from closedloop.alarms.tests.conftest import NOW
from closedloop.tracking.models import EventType

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def baseline_make(name="PPC – Brand", channel="ppc", *, leads=40, mqls=20, clicks=400, end=NOW - 20 * DAY):
    """A steady campaign: `leads` contacts, each created 1 hour after its ad click, the first `mqls`
    of them MQL exactly 2 days after that click; `clicks` ad clicks in all (the leads' own included).
    So: 1 lead per clicks/leads clicks, 1 MQL per clicks/mqls, every lead lag 1 h, every MQL lag 2 d."""
    campaign = campaign_make(name, channel=channel, starts_on=(end - 100 * DAY).date())
    rows = []
    for i in range(leads):
        touch = end - 40 * DAY + i * HOUR
        stages = (("iql", touch + 2 * HOUR), ("mql", touch + 2 * DAY)) if i < mqls else ()
        rows.append((touch, touch + HOUR, stages))
    leads_add(campaign, rows)
    clicks_add(campaign, end - 30 * DAY, clicks - leads)
    return campaign


def findings(now=NOW):
    return {f.campaign_id: f for f in campaign_conversion_gap.detect(now=now)}


def free_trial_make(**kw):
    """Launched 4 days before NOW: 100 clicks 4 days ago, 100 three days ago, 100 one day ago."""
    campaign = campaign_make("PPC – Free trial", starts_on=(NOW - 4 * DAY).date(), **kw)
    for days in (4, 3, 1):
        clicks_add(campaign, NOW - days * DAY, 100)
    return campaign


@pytest.mark.django_db
def test_clicks_and_calls_without_leads_or_mqls_raise_a_critical_alarm():
    baseline_make()
    trial = free_trial_make()
    clicks_add(trial, NOW - 2 * DAY, 7, type=EventType.CALL)

    finding = findings()[trial.pk]

    # Paid-search rates from the brand campaign: 40 leads / 400 clicks = 1 lead per 10 clicks,
    # 20 MQLs / 400 clicks = 1 MQL per 20 clicks. Leads come 1 h after the click, MQLs 2 days after.
    # Leads expected: every one of the 300 clicks is older than 1 h -> 0.1 × 300 = 30.0.
    # MQLs expected: only the 200 clicks of 4 and 3 days ago are older than 2 days -> 0.05 × 200 = 10.0.
    # P(X ≤ 0 | 10) = e^-10 = 4.54e-5 < 0.001: critical.
    lead, mql = finding.evidence["steps"]
    assert (lead["outcome"], lead["observed"], lead["expected"]) == ("lead", 0, 30.0)
    assert (mql["outcome"], mql["observed"], mql["expected"]) == ("mql", 0, 10.0)
    assert mql["expected_eventually"] == 15.0  # 0.05 × 300 once the last clicks have had 2 days
    assert mql["clicks_per_outcome"] == 20.0 and lead["clicks_per_outcome"] == 10.0
    assert mql["p_value"] == pytest.approx(math.exp(-10))
    assert lead["p_value"] == pytest.approx(math.exp(-30))
    assert mql["baseline"] == "channel" and mql["baseline_clicks"] == 400 and mql["baseline_outcomes"] == 20
    assert mql["median_lag_days"] == 2.0
    assert (finding.evidence["clicks"], finding.evidence["calls"], finding.evidence["days"]) == (300, 7, 4)
    assert finding.severity == "critical" and finding.raises
    assert finding.title == "PPC – Free trial: clicks and calls but no MQLs"
    assert finding.message == (
        "PPC – Free trial: 300 clicks and 7 calls in 4 days, 0 leads, 0 MQLs. "
        "At the paid-search rate, 1 MQL per 20 clicks, 10.0 MQLs were expected by now, allowing for "
        "the median 2.0 days from first touch to MQL (p < 0.001). "
        "At the paid-search rate, 1 lead per 10 clicks, 30.0 leads were expected by now, allowing for "
        "the median 1 hour from first touch to lead (p < 0.001). "
        "Its landing page has not been reviewed by sales."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mqls", "p_value", "raises"),
    [
        # 10 MQLs expected (as above). P(X ≤ 2 | 10) = e^-10 (1 + 10 + 50) = 0.0027694: raised, and
        # a warning (not below 0.001). P(X ≤ 3 | 10) = e^-10 (1 + 10 + 50 + 166.67) = 0.0103361:
        # not below 1%, so no new alarm (it would only keep an active one open).
        (2, 0.0027694, True),
        (3, 0.0103361, False),
    ],
)
def test_few_mqls_are_judged_by_the_poisson_probability(mqls, p_value, raises):
    baseline_make()
    trial = campaign_make("PPC – Trial", starts_on=(NOW - 4 * DAY).date(), page_reviewed_at=NOW - 9 * DAY)
    clicks_add(trial, NOW - 4 * DAY, 100)
    clicks_add(trial, NOW - 3 * DAY, 100)
    clicks_add(trial, NOW - DAY, 70)
    # 30 leads from clicks a day ago: 270 + 30 = 300 clicks, and the 30 leads expected.
    touch = NOW - DAY
    leads_add(
        trial, [(touch, touch + HOUR, (("mql", touch + 3 * HOUR),) if i < mqls else ()) for i in range(30)]
    )

    finding = findings()[trial.pk]

    lead, mql = finding.evidence["steps"]
    assert (lead["observed"], lead["expected"], lead["significant"]) == (30, 30.0, False)
    assert (mql["observed"], mql["expected"]) == (mqls, 10.0)
    assert mql["p_value"] == pytest.approx(p_value, rel=1e-4)
    assert finding.raises is raises
    if raises:
        assert finding.severity == "warning"
        assert finding.title == "PPC – Trial: far fewer MQLs than its clicks should bring"
        assert "Its landing page" not in finding.message  # reviewed


@pytest.mark.django_db
def test_a_healthy_new_campaign_is_not_blamed_for_mqls_that_take_days():
    baseline_make()
    fresh = campaign_make("PPC – New", starts_on=(NOW - DAY).date())
    clicks_add(fresh, NOW - 20 * HOUR, 180)
    leads_add(fresh, [(NOW - 20 * HOUR, NOW - 19 * HOUR, ())] * 20)
    # 200 clicks, 20 leads: exactly the channel's 1 in 10. No MQL yet — but an MQL comes 2 days
    # after the click, and these clicks are 20 hours old: 0 MQLs expected by now. A check that
    # ignored the lag would expect 0.05 × 200 = 10 and call P(0 | 10) = 0.00005 an incident.
    assert fresh.pk not in findings()


@pytest.mark.django_db
def test_too_little_traffic_is_not_judged():
    baseline_make()
    few = campaign_make("PPC – Few clicks")
    clicks_add(few, NOW - 3 * DAY, 19)  # below the 20-click minimum
    early = campaign_make("PPC – Early")
    clicks_add(early, NOW - 3 * DAY, 40)  # 0.1 × 40 = 4 leads expected: below the minimum of 5
    assert findings() == {}


@pytest.mark.django_db
def test_a_campaign_is_judged_on_its_own_history_when_it_has_one():
    # Its own previous 90 days: 1 lead per 10 clicks. Its channel sibling converts twice as well
    # (80 leads / 400 clicks = 1 per 5); the campaign's own rate is the fairer yardstick.
    own = baseline_make("LinkedIn – Ops", channel="social")
    baseline_make("LinkedIn – Founders", channel="social", leads=80, mqls=20)
    for days in (4, 3, 1):
        clicks_add(own, NOW - days * DAY, 100)

    step = findings()[own.pk].evidence["steps"][0]

    # 300 clicks, all older than the 1 h lead lag, at 1 in 10: 30 expected (not 60), 0 came.
    assert (step["outcome"], step["baseline"], step["expected"], step["observed"]) == ("lead", "own", 30.0, 0)
    assert step["baseline_clicks"] == 400 and step["baseline_outcomes"] == 40


@pytest.mark.django_db
def test_the_check_raises_once_updates_and_resolves_when_the_campaign_stops():
    baseline_make()
    trial = free_trial_make()

    first = alarms_check(now=NOW, kinds=[AlarmKind.CAMPAIGN_CONVERSION_GAP])
    again = alarms_check(now=NOW + HOUR, kinds=[AlarmKind.CAMPAIGN_CONVERSION_GAP])

    assert [a.campaign_id for a in first.raised] == [trial.pk]
    assert again.raised == [] and [a.pk for a in again.updated] == [first.raised[0].pk]
    alarm = Alarm.objects.get(kind=AlarmKind.CAMPAIGN_CONVERSION_GAP)
    assert (alarm.first_raised_at, alarm.last_seen_at, alarm.status) == (NOW, NOW + HOUR, AlarmStatus.OPEN)

    # 20 days on, its last click is 19 days old: nothing in the 14-day window, nothing to judge.
    later = alarms_check(now=NOW + 20 * DAY, kinds=[AlarmKind.CAMPAIGN_CONVERSION_GAP])
    alarm.refresh_from_db()
    assert [a.pk for a in later.resolved] == [alarm.pk]
    assert (alarm.status, alarm.resolved_at) == (AlarmStatus.RESOLVED, NOW + 20 * DAY)


@pytest.mark.django_db
def test_mqls_that_sales_never_accepts_raise_the_accepted_handoff_step():
    from closedloop.crm.models import Contact
    from closedloop.handoff.models import Handoff, HandoffStatus
    from tests.factories import UserFactory

    rep = UserFactory(username="rep", role="sales_rep")
    brand = baseline_make()
    # Sales accepted each of the brand's 20 MQLs one day after it became MQL: 3 days after its click.
    for contact in Contact.objects.filter(source_campaign=brand, lifecycle_stage="mql"):
        click = contact.events.get().ts
        Handoff.objects.create(
            contact=contact, stage="sql", routed_to=rep, routed_at=click + 2 * DAY, routing_reason="test",
            status=HandoffStatus.ACCEPTED, decided_at=click + 3 * DAY,
        )  # fmt: skip
    trial = campaign_make("PPC – Trial", starts_on=(NOW - 4 * DAY).date(), page_reviewed_at=NOW - 9 * DAY)
    clicks_add(trial, NOW - 4 * DAY, 100)
    clicks_add(trial, NOW - 3 * DAY, 100)
    clicks_add(trial, NOW - DAY, 70)
    touch = NOW - DAY
    trial_leads = leads_add(trial, [(touch, touch + HOUR, (("mql", touch + 3 * HOUR),)) for _ in range(30)])
    for contact in trial_leads:  # every one of them sent back
        Handoff.objects.create(
            contact=contact, stage="sql", routed_to=rep, routed_at=touch + 4 * HOUR, routing_reason="test",
            status=HandoffStatus.REJECTED, decided_at=touch + 5 * HOUR, reason_code="not_a_fit",
        )  # fmt: skip

    finding = findings()[trial.pk]

    # Accepted handoffs per click at the paid-search rate: 20 / 400 = 0.05, each 3 days after the
    # click. Only the 200 clicks of 4 and 3 days ago are 3 days old -> 0.05 × 200 = 10.0 expected.
    _lead, mql, accepted = finding.evidence["steps"]
    assert (mql["observed"], mql["significant"]) == (30, False)
    assert (accepted["outcome"], accepted["observed"], accepted["expected"]) == ("accepted", 0, 10.0)
    assert accepted["median_lag_days"] == 3.0
    assert accepted["p_value"] == pytest.approx(math.exp(-10))
    assert finding.raises
    assert finding.title == "PPC – Trial: clicks but no accepted handoffs"
