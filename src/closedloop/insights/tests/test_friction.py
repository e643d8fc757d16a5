"""Friction sentences from the stage history: this period against the periods before it."""

from datetime import date

import pytest

from closedloop.insights.friction_report import friction_report
from closedloop.insights.periods import Period
from closedloop.insights.report_scope import scope_build
from closedloop.insights.tests.report_data import at, enter
from tests.factories import ContactFactory, DealFactory

pytestmark = pytest.mark.django_db


def test_the_transition_that_fell_is_named_with_its_numbers():
    # Baseline: the four 30-day periods before 1–30 June 2025 (1 Feb – 31 May). Four MQLs there,
    # each became an SQL the next day: 100 %. In June two MQLs, one became an SQL: 50 %.
    for month in (2, 3, 4, 5):
        c = ContactFactory()
        enter(c, "mql", at(month, 10))
        enter(c, "sql", at(month, 11), "mql")
    for day, moves_on in ((3, True), (4, False)):
        c = ContactFactory()
        enter(c, "mql", at(6, day))
        if moves_on:
            enter(c, "sql", at(6, day + 1), "mql")
    # A won deal gives a customer its value (1000), which the friction report needs.
    DealFactory(stage="won", created_at=at(6, 1), closed_at=at(6, 2), amount=1000)
    view = friction_report(scope=scope_build(period=Period(start=date(2025, 6, 1), end=date(2025, 6, 30))))
    assert view.problem is None
    mql_sql = next(t for t in view.report.transitions if (t.from_stage, t.to_stage) == ("mql", "sql"))
    assert (mql_sql.entered, mql_sql.converted) == (2, 1)
    assert (mql_sql.baseline_entered, mql_sql.baseline_converted) == (4, 4)
    # One lost conversion: (100 % − 50 %) × 2 entrants.
    assert mql_sql.lost_conversions == pytest.approx(1.0)
    assert mql_sql.sentence.startswith("MQL → SQL fell from 100% to 50% (about 1 fewer conversion")
    assert "no owner set in the agreement" in mql_sql.sentence


def test_without_any_won_deal_there_is_no_value_to_diagnose():
    c = ContactFactory()
    enter(c, "mql", at(6, 3))
    view = friction_report(scope=scope_build(period=Period(start=date(2025, 6, 1), end=date(2025, 6, 30))))
    assert view.report is None
    assert "no deal was won" in view.problem
