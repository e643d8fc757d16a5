"""Exact Markov removal-effect attribution on small chains solved by hand in the comments."""

import pytest

from closedloop.engine.markov import markov_attribution
from tests.engine.attribution_paths import by_key, paths_of


def test_order_1_three_paths_two_channels():
    # P1 a > b  1 conversion (revenue 90), 1 null
    # P2 b > a  1 conversion (revenue 30)
    # P3 a      2 nulls
    # Transition counts (a path counts once per journey on it: conversions + nulls):
    #   start→a 2 + 2 = 4, start→b 1              → start: a 4/5, b 1/5
    #   a→b 2, a→conv 1 (P2), a→null 2 (P3)       → a: b 2/5, conv 1/5, null 2/5
    #   b→a 1, b→conv 1, b→null 1 (P1)            → b: a 1/3, conv 1/3, null 1/3
    # Conversion probabilities x: x_a = 1/5 + 2/5 x_b, x_b = 1/3 + 1/3 x_a
    #   → x_a = 1/5 + 2/15 + 2/15 x_a → x_a = 5/13, x_b = 6/13
    #   P = 4/5·5/13 + 1/5·6/13 = 26/65 = 2/5   (2 conversions of 5 journeys)
    # Remove a: x_b = 1/3, P = 1/5·1/3 = 1/15 → effect 1 - (1/15)/(2/5) = 5/6
    # Remove b: x_a = 1/5, P = 4/5·1/5 = 4/25 → effect 1 - (4/25)/(2/5) = 3/5
    # Shares 5/6 : 3/5 = 25/43 : 18/43 of 2 conversions → a 50/43, b 36/43.
    # Revenue: a conversion leaving a is worth 30 (P2), leaving b 90 (P1):
    #   y_a = 1/5·30 + 2/5 y_b, y_b = 1/3·90 + 1/3 y_a → y_a = 270/13, y_b = 480/13
    #   V = 4/5·270/13 + 1/5·480/13 = 24   (120 revenue over 5 journeys)
    # Remove a: V = 1/5·30 = 6 → effect 3/4.  Remove b: V = 4/5·6 = 24/5 → effect 4/5.
    # Shares 3/4 : 4/5 = 15/31 : 16/31 of 120 → a 1800/31, b 1920/31.
    table = markov_attribution(paths_of([("a > b", 1, 90, 1), ("b > a", 1, 30, 0), ("a", 0, 0, 2)]))
    assert by_key(table, "removal_effect") == pytest.approx({"a": 5 / 6, "b": 3 / 5})
    assert by_key(table, "conversions") == pytest.approx({"a": 50 / 43, "b": 36 / 43})
    assert by_key(table, "removal_effect_revenue") == pytest.approx({"a": 3 / 4, "b": 4 / 5})
    assert by_key(table, "revenue") == pytest.approx({"a": 1800 / 31, "b": 1920 / 31})


def test_order_2_states_are_pairs_of_channels():
    # P1 a > b > c  1 conversion (revenue 60)    states (a,b) → (b,c)
    # P2 b > c      1 null                       state  (b,c)
    # P3 a > b > a  1 conversion (revenue 40), 1 null   states (a,b) → (b,a)
    #   start→(a,b) 1 + 2 = 3, start→(b,c) 1   → 3/4, 1/4
    #   (a,b)→(b,c) 1, (a,b)→(b,a) 2           → 1/3, 2/3
    #   (b,c)→conv 1, null 1; (b,a)→conv 1, null 1 → 1/2 each
    # x(a,b) = 1/3·1/2 + 2/3·1/2 = 1/2;  P = 3/4·1/2 + 1/4·1/2 = 1/2
    # Remove a (kills (a,b), (b,a)): P = 1/4·1/2 = 1/8 → effect 3/4
    # Remove b (every state has b): P = 0 → effect 1
    # Remove c (kills (b,c)): x(a,b) = 2/3·1/2 = 1/3, P = 1/4 → effect 1/2
    # Shares 3/4 : 1 : 1/2 = 3/9 : 4/9 : 2/9 of 2 → a 2/3, b 8/9, c 4/9.
    # Revenue per conversion: leaving (b,c) 60, leaving (b,a) 40.
    #   y(a,b) = 1/3·30 + 2/3·20 = 70/3; V = 3/4·70/3 + 1/4·30 = 25
    #   remove a: V = 1/4·30 = 7.5 → 0.7; remove b → 1; remove c: y(a,b) = 40/3, V = 10 → 0.6
    #   shares 0.7 : 1 : 0.6 of 100 → a 700/23, b 1000/23, c 600/23.
    paths = paths_of([("a > b > c", 1, 60, 0), ("b > c", 0, 0, 1), ("a > b > a", 1, 40, 1)])
    table = markov_attribution(paths, order=2)
    assert by_key(table, "removal_effect") == pytest.approx({"a": 3 / 4, "b": 1.0, "c": 1 / 2})
    assert by_key(table, "conversions") == pytest.approx({"a": 2 / 3, "b": 8 / 9, "c": 4 / 9})
    assert by_key(table, "revenue") == pytest.approx({"a": 700 / 23, "b": 1000 / 23, "c": 600 / 23})


def test_order_3_windows_and_paths_shorter_than_the_order():
    # P1 a > b > c > e  1 conversion   states (a,b,c) → (b,c,e)
    # P2 a > b > c > d  1 conversion   states (a,b,c) → (b,c,d)
    # P3 a > b > c      2 nulls        state  (a,b,c)
    # P4 d > e          1 null         one state (d,e): shorter than the order
    #   start→(a,b,c) 4, start→(d,e) 1 → 4/5, 1/5
    #   (a,b,c)→(b,c,e) 1, →(b,c,d) 1, →null 2 → 1/4, 1/4, 1/2; (b,c,e), (b,c,d) convert; (d,e) null
    # P = 4/5·1/2 = 2/5. Removing a, b or c kills (a,b,c) → effect 1.
    # Removing d kills (b,c,d) and (d,e): P = 4/5·1/4 = 1/5 → 1/2; e likewise → 1/2.
    # (At order 1, d→e from P4 would make e lose conversions; here (d,e) is its own state.)
    # Shares 1 : 1 : 1 : 1/2 : 1/2 of 2 → a, b, c 1/2; d, e 1/4.
    paths = paths_of(
        [("a > b > c > e", 1, 0, 0), ("a > b > c > d", 1, 0, 0), ("a > b > c", 0, 0, 2), ("d > e", 0, 0, 1)]
    )
    table = markov_attribution(paths, order=3)
    assert by_key(table, "conversions") == pytest.approx({"a": 0.5, "b": 0.5, "c": 0.5, "d": 0.25, "e": 0.25})


def test_repeated_channels_merge_without_changing_probabilities():
    # a > a > b converts once; b > b fails once. Merged: start→a 1, start→b 1, a→b 1,
    # b→conv 1, b→null 1. x_b = 1/2, x_a = 1/2, P = 1/2.
    # Remove a: P = 1/2·1/2 = 1/4 → 1/2.  Remove b: P = 0 → 1.  Shares 1/3, 2/3 of 1.
    # (Keeping the self-loops a→a, b→b would give the same: a self-loop only rescales exits.)
    table = markov_attribution(paths_of([("a > a > b", 1, 3, 0), ("b > b", 0, 0, 1)]))
    assert by_key(table, "conversions") == pytest.approx({"a": 1 / 3, "b": 2 / 3})
    assert by_key(table, "revenue") == pytest.approx({"a": 1.0, "b": 2.0})


def test_null_paths_lower_a_channels_share():
    # Without nulls every path converts, so removing either channel of a > b loses everything:
    # effects 1, 1 → 1/2 each. Adding 3 nulls on "b" alone (start→a 1, start→b 3, a→b 1,
    # b→conv 1, b→null 3): P = 1/4·1/4 + 3/4·1/4 = 1/4; remove a: P = 3/16 → effect 1/4;
    # remove b: 0 → 1. Shares 1/5, 4/5.
    assert by_key(markov_attribution(paths_of([("a > b", 1, 0, 0)])), "conversions") == pytest.approx(
        {"a": 0.5, "b": 0.5}
    )
    with_nulls = markov_attribution(paths_of([("a > b", 1, 0, 0), ("b", 0, 0, 3)]))
    assert by_key(with_nulls, "conversions") == pytest.approx({"a": 0.2, "b": 0.8})


def test_unicode_channels():
    # Same chain as test_repeated_channels_merge... with other names: shares 1/3, 2/3.
    table = markov_attribution(paths_of([("Événement > 邮件", 1, 0, 0), ("邮件", 0, 0, 1)]))
    assert by_key(table, "conversions") == pytest.approx({"Événement": 1 / 3, "邮件": 2 / 3})


def test_no_conversions_and_no_revenue_give_zeros():
    table = markov_attribution(paths_of([("a > b", 0, 0, 2), ("b", 0, 0, 1)]))
    assert by_key(table, "conversions") == {"a": 0.0, "b": 0.0}
    assert by_key(table, "revenue") == {"a": 0.0, "b": 0.0}


@pytest.mark.parametrize("order", [0, -1, 1.5])
def test_order_must_be_a_positive_integer(order):
    with pytest.raises(ValueError, match="order"):
        markov_attribution(paths_of([("a", 1, 0, 0)]), order=order)
