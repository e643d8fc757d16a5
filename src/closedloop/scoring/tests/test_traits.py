"""The trait correlation report on a hand-built funnel, and the ideal lead profile it turns into
an agreement draft that the backtest can replay."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from closedloop.agreement import services as agreement_services
from closedloop.agreement.backtest_service import backtest_run
from closedloop.agreement.models import Status
from closedloop.agreement.selectors import agreement_active_get, agreement_content
from closedloop.crm.models import Contact
from closedloop.scoring.correlation import correlation_report
from closedloop.scoring.profile_service import agreement_draft_from_profile, ideal_profile
from closedloop.scoring.tests.conftest import NOW


def funnel(db):
    """80 MQLs: 40 ops managers of whom 30 moved on to SQL, 40 students of whom 10 did."""
    rows = []
    for persona, movers in (("ops_manager", 30), ("student", 10)):
        for i in range(40):
            rows.append(Contact(email=f"{persona}{i}@x.test", persona=persona, created_at=NOW,
                                lifecycle_stage="sql" if i < movers else "mql"))  # fmt: skip
    Contact.objects.bulk_create(rows)


@pytest.fixture
def report(db):
    funnel(db)
    return correlation_report(now=NOW, min_support=10)


def test_odds_ratio_of_a_persona_matches_the_hand_computed_table(report):
    mql = next(s for s in report["stages"] if s["stage"] == "mql")
    assert (mql["population"], mql["converters"], mql["next"]) == (80, 40, "sql")
    ops = next(t for t in mql["traits"] if t["key"] == "persona=ops_manager")
    # a=30 b=10 c=10 d=30: OR = 9, SE = √(2/30 + 2/10) = 0.516398, CI = 9·exp(±1.959964·0.516398).
    assert ops["odds_ratio"] == pytest.approx(9.0)
    assert ops["ci_low"] == pytest.approx(3.2710, abs=1e-3)
    assert ops["ci_high"] == pytest.approx(24.763, abs=1e-2)
    assert (ops["rate_with"], ops["rate_without"]) == (0.75, 0.25)
    assert mql["positive"][0]["key"] == "persona=ops_manager"
    assert mql["negative"][0]["key"] == "persona=student"
    assert mql["negative"][0]["odds_ratio"] == pytest.approx(1 / 9, abs=1e-4)


def test_minimum_support_hides_rare_traits(db):
    funnel(db)
    report = correlation_report(now=NOW, min_support=41)
    mql = next(s for s in report["stages"] if s["stage"] == "mql")
    assert mql["traits"] == []


def test_ideal_profile_is_a_rule_clause(report):
    profile = ideal_profile(report=report, stage="mql")
    assert profile.clause == 'persona in ["ops_manager"]'
    assert "odds ratio 9.0" in profile.explanation


@pytest.fixture
def active(maya, sam):
    draft = agreement_services.agreement_draft_create(by=maya)
    proposed = agreement_services.agreement_propose(version=draft, by=maya)
    agreement_services.agreement_sign(version=proposed, user=maya, side="marketing")
    return agreement_services.agreement_sign(version=proposed, user=sam, side="sales")


def test_profile_becomes_an_agreement_draft_the_backtest_replays(report, active, maya):
    before = agreement_content(version=active)
    old_rule = next(d["rule"] for d in before["stage_definitions"] if d["stage"] == "mql")
    draft = agreement_draft_from_profile(report=report, stage="mql", by=maya)
    assert draft.status == Status.DRAFT and draft.number == active.number + 1
    new_rule = next(
        d["rule"] for d in agreement_content(version=draft)["stage_definitions"] if d["stage"] == "mql"
    )
    assert new_rule.startswith(f"({old_rule.strip()})")
    assert '&& (persona in ["ops_manager"])' in new_rule
    assert "ideal lead profile" in draft.change_note.lower()
    assert agreement_active_get().pk == active.pk  # nothing changes until both heads sign
    backtest = backtest_run(draft=draft)
    assert backtest is not None and backtest.contacts == 80


def test_no_significant_trait_means_nothing_to_propose(db, active, maya):
    with pytest.raises(ValidationError) as caught:
        agreement_draft_from_profile(report={"stages": []}, stage="mql", by=maya)
    assert "stage" in caught.value.message_dict


def test_sales_rep_cannot_draft_the_agreement(report, active, alex):
    with pytest.raises(PermissionDenied):
        agreement_draft_from_profile(report=report, stage="mql", by=alex)
