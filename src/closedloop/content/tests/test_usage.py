"""Usage and influence against a hand-computed example, and the two gap reports."""

from datetime import timedelta
from decimal import Decimal

import pytest

from closedloop.content.models import SearchQuery, SharedLink
from closedloop.content.selectors.usage import asset_usage, search_gaps, unused_content
from closedloop.content.services import shared_link_create
from closedloop.content.tests.conftest import NOW, published_asset
from tests.factories import ContactFactory, DealFactory


@pytest.mark.django_db
def test_touched_deals_win_more_than_untouched_ones(marketer, rep):
    case = published_asset(marketer, rep, title="Case study")
    other = published_asset(marketer, rep, title="Never shared")
    c1, c2, c3 = (ContactFactory(lifecycle_stage=s) for s in ("opportunity", "sql", "opportunity"))
    d1 = DealFactory(contact=c1, stage="won", amount=Decimal("10000"))
    DealFactory(contact=c2, stage="lost", amount=Decimal("4000"))
    d3 = DealFactory(contact=c3, stage="won", amount=Decimal("6000"))
    DealFactory(stage="won", amount=Decimal("5000"))
    DealFactory(stage="lost", amount=Decimal("2000"))
    DealFactory(stage="lost", amount=Decimal("2000"))
    DealFactory(stage="lost", amount=Decimal("2000"))
    DealFactory(stage="proposal", amount=Decimal("9000"))  # open: in neither group
    shared_link_create(asset=case, deal=d1, by=rep, now=NOW)
    shared_link_create(asset=case, contact=c2, by=rep, now=NOW)  # reaches d2 through its contact
    link = shared_link_create(asset=case, deal=d3, by=rep, now=NOW)
    SharedLink.objects.filter(pk=link.pk).update(open_count=3, seconds_viewed=120)
    usage = asset_usage(asset=case)
    # Touched: d1 won 10,000, d2 lost, d3 won 6,000 → 2 of 3 won (66.7%), 16,000.
    # Untouched closed: 1 won (5,000) of 4 → 25%.
    assert (usage.shares, usage.opened_shares, usage.opens, usage.seconds) == (3, 1, 3, 120)
    assert usage.stages == {"opportunity": 2, "sql": 1}
    assert (usage.touched.closed, usage.touched.won, usage.touched.revenue) == (3, 2, Decimal("16000"))
    assert usage.touched.win_rate == pytest.approx(2 / 3)
    assert (usage.untouched.closed, usage.untouched.won, usage.untouched.revenue) == (4, 1, Decimal("5000"))
    assert usage.untouched.win_rate == 0.25
    assert asset_usage(asset=other).touched.win_rate is None
    unused = unused_content(days=90, now=NOW + timedelta(days=1))
    assert [r["asset"].title for r in unused] == ["Never shared"]
    assert unused_content(days=90, now=NOW + timedelta(days=200))[0]["asset"].title == "Never shared"
    assert len(unused_content(days=90, now=NOW + timedelta(days=200))) == 2


@pytest.mark.django_db
def test_search_gaps_group_weak_searches_most_asked_first(rep, head_of_sales):
    def log(user, text, score, coverage=1.0, days_ago=1):
        SearchQuery.objects.create(user=user, text=text, normalized=text.lower().strip(), best_score=score,
                                   best_coverage=coverage, at=NOW - timedelta(days=days_ago))  # fmt: skip

    log(rep, "Healthcare case study", 0.45, coverage=0.5 - 0.01)
    log(head_of_sales, "healthcare case study", 0.44, coverage=0.3)
    log(rep, "reseller program", 0.05)
    log(rep, "roi worksheet", 0.8)  # a good result: not a gap
    log(rep, "spanish brochure", 0.01, days_ago=60)  # outside the window
    gaps = search_gaps(days=30, now=NOW)
    assert [(g["query"], g["count"]) for g in gaps] == [("healthcare case study", 2), ("reseller program", 1)]
    assert gaps[0]["users"] == ["Alex Morgan", "Sam Rivera"]
