"""A campaign sends people to a landing page sales has never reviewed (seed 000: the page promised
a free trial the company did not sell, and sales had never seen it). Raised for a campaign that is
live — spending or bringing traffic in the last 7 days — or starts within the next 7 days; it
clears when a sales user marks the page reviewed or the campaign ends."""

from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from closedloop.alarms.detectors.finding import Finding
from closedloop.alarms.models import AlarmKind, Severity
from closedloop.tracking.models import Campaign, CampaignCost, Event, EventType

KIND = AlarmKind.LANDING_PAGE_UNREVIEWED
ACTIVE_DAYS = 7  # spend or traffic this recent makes a campaign live
UPCOMING_DAYS = 7  # warn this long before a campaign starts, while there is time to fix the page
TRAFFIC = (EventType.AD_CLICK, EventType.CALL, EventType.FORM_SUBMIT, EventType.PAGE_VIEW)


def detect(*, now: datetime) -> list[Finding]:
    today = timezone.localdate(now)
    # A review dated after `now` had not happened yet at `now` (checks can replay the past).
    unreviewed = Q(landing_page__reviewed_by_sales_at__isnull=True) | Q(
        landing_page__reviewed_by_sales_at__gt=now
    )
    campaigns = list(
        Campaign.objects.filter(landing_page__isnull=False)
        .filter(unreviewed)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today + timedelta(days=UPCOMING_DAYS)))
        .select_related("landing_page")
    )
    if not campaigns:
        return []
    ids = [c.pk for c in campaigns]
    spend = dict(
        CampaignCost.objects.filter(
            campaign_id__in=ids, date__gt=today - timedelta(days=ACTIVE_DAYS), date__lte=today
        )
        .values_list("campaign_id")
        .annotate(total=Sum("amount"))
        .values_list("campaign_id", "total")
    )
    traffic: dict[int, dict[str, int]] = {}
    events = Event.objects.filter(
        campaign_id__in=ids, type__in=TRAFFIC, ts__gte=now - timedelta(days=ACTIVE_DAYS), ts__lt=now
    )
    for campaign_id, kind, n in events.values_list("campaign_id", "type").annotate(n=Count("id")).order_by():
        traffic.setdefault(campaign_id, {})[kind] = n

    findings = []
    for campaign in campaigns:
        spent = spend.get(campaign.pk) or 0
        seen = traffic.get(campaign.pk, {})
        if campaign.starts_on and campaign.starts_on > today:
            findings.append(_upcoming(campaign, today=today))
        elif spent > 0 or seen:
            findings.append(_live(campaign, spent=float(spent), traffic=seen))
    return findings


def _page_text(campaign: Campaign) -> str:
    page = campaign.landing_page
    assert page is not None
    return f"{page.url} (“{page.title}”)" if page.title else page.url


def _evidence(campaign: Campaign, **extra: object) -> dict[str, object]:
    page = campaign.landing_page
    assert page is not None
    return {
        "landing_page_url": page.url,
        "landing_page_title": page.title,
        "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
        **extra,
    }


def _upcoming(campaign: Campaign, *, today: object) -> Finding:
    assert campaign.starts_on is not None and campaign.landing_page is not None
    days = (campaign.starts_on - today).days  # type: ignore[operator]
    when = "tomorrow" if days == 1 else f"in {days} days"
    return Finding(
        kind=KIND,
        subject_key=f"campaign:{campaign.pk}",
        severity=Severity.WARNING,
        title=f"Sales has not reviewed the landing page of {campaign.name}",
        message=(
            f"{campaign.name} starts {when} ({campaign.starts_on:%Y-%m-%d}) and sends people to "
            f"{_page_text(campaign)}, which sales has not reviewed. Ask sales to read what the page "
            f"promises before the first lead calls."
        ),
        evidence=_evidence(campaign, live=False, starts_in_days=days),
        campaign_id=campaign.pk,
        landing_page_id=campaign.landing_page.pk,
    )


def _live(campaign: Campaign, *, spent: float, traffic: dict[str, int]) -> Finding:
    assert campaign.landing_page is not None
    clicks, calls = traffic.get(EventType.AD_CLICK, 0), traffic.get(EventType.CALL, 0)
    forms = traffic.get(EventType.FORM_SUBMIT, 0)
    activity = []
    if spent:
        activity.append(f"spent {spent:,.2f}")
    if clicks or calls or forms:
        activity.append(f"brought {clicks:,} clicks, {calls:,} calls and {forms:,} form submissions")
    since = f" since {campaign.starts_on:%Y-%m-%d}" if campaign.starts_on else ""
    return Finding(
        kind=KIND,
        subject_key=f"campaign:{campaign.pk}",
        severity=Severity.CRITICAL,
        title=f"Sales has not reviewed the landing page of {campaign.name}",
        message=(
            f"{campaign.name} is live{since} ({' and '.join(activity) or 'active'} in the last "
            f"{ACTIVE_DAYS} days) and sends people to {_page_text(campaign)}, which sales has not "
            f"reviewed. Sales cannot follow up on a promise it has never seen."
        ),
        evidence=_evidence(
            campaign, live=True, spend_last_7_days=round(spent, 2), clicks=clicks, calls=calls, forms=forms
        ),
        campaign_id=campaign.pk,
        landing_page_id=campaign.landing_page.pk,
    )
