"""Rule-based attribution models, checked against numbers worked out by hand in the comments."""

from fractions import Fraction as F

import pytest

from closedloop.engine.attribution import (
    MODELS,
    attribute,
    attribution_compare,
    first_touch,
    last_touch,
    linear,
    time_decay,
    u_shaped,
    w_shaped,
)
from tests.engine.attribution_paths import by_key, paths_of


def assert_credit(table, conversions, revenue):
    got_conv, got_rev = by_key(table, "conversions"), by_key(table, "revenue")
    assert got_conv == pytest.approx({k: float(v) for k, v in conversions.items()}, abs=1e-12)
    assert got_rev == pytest.approx({k: float(v) for k, v in revenue.items()}, abs=1e-9)


# The shared example. 5 conversions, revenue 180; P5 never converts and must not earn credit.
#   P1 a > b > c       2 conversions, revenue 100, 1 null
#   P2 b > a           1 conversion,  revenue 30
#   P3 c               1 conversion,  revenue 10,  2 nulls
#   P4 a > b > c > b   1 conversion,  revenue 40   (b touched twice)
#   P5 b > c           0 conversions,               4 nulls
EXAMPLE = [
    ("a > b > c", 2, 100, 1),
    ("b > a", 1, 30, 0),
    ("c", 1, 10, 2),
    ("a > b > c > b", 1, 40, 0),
    ("b > c", 0, 0, 4),
]


def test_first_touch_credits_the_opening_channel():
    # a opens P1 (2, 100) and P4 (1, 40); b opens P2 (1, 30); c opens P3 (1, 10).
    assert_credit(first_touch(paths_of(EXAMPLE)), {"a": 3, "b": 1, "c": 1}, {"a": 140, "b": 30, "c": 10})


def test_last_touch_credits_the_closing_channel():
    # c closes P1 (2, 100) and P3 (1, 10); a closes P2 (1, 30); b closes P4 (1, 40).
    assert_credit(last_touch(paths_of(EXAMPLE)), {"a": 1, "b": 1, "c": 3}, {"a": 30, "b": 40, "c": 110})


def test_linear_splits_evenly_per_touch_so_repeats_count_twice():
    # P1: 2/3 each, revenue 100/3 each. P2: a, b 1/2, revenue 15. P3: c 1, revenue 10.
    # P4 (4 touches, b twice): a 1/4, b 2/4, c 1/4; revenue 10, 20, 10.
    # a = 2/3 + 1/2 + 1/4 = 17/12   revenue 100/3 + 15 + 10 = 175/3
    # b = 2/3 + 1/2 + 1/2 = 5/3     revenue 100/3 + 15 + 20 = 205/3
    # c = 2/3 + 1 + 1/4 = 23/12     revenue 100/3 + 10 + 10 = 160/3
    assert_credit(
        linear(paths_of(EXAMPLE)),
        {"a": F(17, 12), "b": F(5, 3), "c": F(23, 12)},
        {"a": F(175, 3), "b": F(205, 3), "c": F(160, 3)},
    )


def test_u_shaped_gives_40_20_40_and_halves_two_touch_paths():
    # P1 (3 touches): .4/.2/.4 × 2 → a .8, b .4, c .8; revenue 40, 20, 40.
    # P2 (2 touches): 50/50 → a .5, b .5; revenue 15, 15.   P3 (1 touch): c 1, revenue 10.
    # P4 (4 touches): a .4, b .1, c .1, b .4 → a .4, b .5, c .1; revenue 16, 20, 4.
    # a = .8 + .5 + .4 = 1.7 (71); b = .4 + .5 + .5 = 1.4 (55); c = .8 + 1 + .1 = 1.9 (54)
    assert_credit(u_shaped(paths_of(EXAMPLE)), {"a": 1.7, "b": 1.4, "c": 1.9}, {"a": 71, "b": 55, "c": 54})


def test_w_shaped_without_flags_falls_back_to_median_and_last_touch():
    # No anchor flags in this format: lead → median touch, opportunity → last touch.
    # P1 (3): anchors at 0, 1, 2, no touch left for the 10 % → a third each: 2/3 each, revenue 100/3.
    # P2 (2): the median is shared by both touches → roles 1.5 and 1.5 → 50/50: a, b 1/2; 15 each.
    # P3 (1): c 1, revenue 10.
    # P4 (4): roles 1, 1/2, 1/2, 1 (median shared by positions 1, 2), every touch an anchor →
    #         weights roles/3 = 1/3, 1/6, 1/6, 1/3 → a 1/3, b 1/6 + 1/3 = 1/2, c 1/6;
    #         revenue 40/3, 20, 20/3.
    # a = 2/3 + 1/2 + 1/3 = 3/2    revenue 100/3 + 15 + 40/3 = 185/3
    # b = 2/3 + 1/2 + 1/2 = 5/3    revenue 100/3 + 15 + 20 = 205/3
    # c = 2/3 + 1 + 1/6 = 11/6     revenue 100/3 + 10 + 20/3 = 50
    assert_credit(
        w_shaped(paths_of(EXAMPLE)),
        {"a": F(3, 2), "b": F(5, 3), "c": F(11, 6)},
        {"a": F(185, 3), "b": F(205, 3), "c": 50},
    )


def test_w_shaped_five_touches_without_flags_is_30_5_30_5_30():
    # Median of 5 touches is position 2; positions 1 and 3 share the 10 %.
    paths = paths_of([("a > b > c > d > e", 1, 1000, 0)])
    assert_credit(
        w_shaped(paths),
        {"a": 0.3, "b": 0.05, "c": 0.3, "d": 0.05, "e": 0.3},
        {"a": 300, "b": 50, "c": 300, "d": 50, "e": 300},
    )


def test_time_decay_halves_weight_per_half_life_before_conversion():
    # Path format: age = touches before the last one. half_life = 1 touch.
    # P1 ages 2,1,0 → 1/4, 1/2, 1 → /(7/4) → 1/7, 2/7, 4/7; ×2 conv; ×100 revenue.
    # P2 ages 1,0 → 1/2, 1 → 1/3 (b), 2/3 (a); revenue 10, 20.   P3: c 1, revenue 10.
    # P4 ages 3,2,1,0 → 1/8,1/4,1/2,1 → /(15/8) → 1/15, 2/15, 4/15, 8/15:
    #    a 1/15, b 2/15 + 8/15 = 2/3, c 4/15; revenue 8/3, 80/3, 32/3.
    # a = 2/7 + 2/3 + 1/15 = 107/105      revenue 100/7 + 20 + 8/3 = 776/21
    # b = 4/7 + 1/3 + 2/3 = 11/7          revenue 200/7 + 10 + 80/3 = 1370/21
    # c = 8/7 + 1 + 4/15 = 253/105        revenue 400/7 + 10 + 32/3 = 1634/21
    assert_credit(
        time_decay(paths_of(EXAMPLE), half_life=1.0),
        {"a": F(107, 105), "b": F(11, 7), "c": F(253, 105)},
        {"a": F(776, 21), "b": F(1370, 21), "c": F(1634, 21)},
    )


def test_time_decay_rejects_a_non_positive_half_life():
    with pytest.raises(ValueError, match="half_life"):
        time_decay(paths_of(EXAMPLE), half_life=0)


@pytest.mark.parametrize("model", MODELS)
def test_every_model_gives_a_single_touch_path_full_credit(model):
    # Each path has one touch, so every model must hand that channel the path's whole value:
    # a: 2 conversions, revenue 20; b: 1 conversion, revenue 5; c only fails.
    # (Markov: start→a 3/5, →b 1/5, →c 1/5; a converts 2/3, b 1/1, c 0/1; P = 2/5 + 1/5 = 3/5.
    #  Removing a leaves 1/5 → effect 2/3; removing b leaves 2/5 → effect 1/3; c → 0.
    #  Shares 2/3, 1/3 of 3 conversions = 2, 1.  Revenue per conversion: a 10, b 5; expected
    #  revenue 3/5·2/3·10 + 1/5·5 = 5; without a 1 → 4/5; without b 4 → 1/5; shares 4/5, 1/5 of 25.)
    paths = paths_of([("a", 2, 20, 1), ("b", 1, 5, 0), ("c", 0, 0, 1)])
    assert_credit(attribute(paths, model), {"a": 2, "b": 1, "c": 0}, {"a": 20, "b": 5, "c": 0})


@pytest.mark.parametrize("model", MODELS)
def test_every_model_gives_nothing_when_nobody_converted(model):
    paths = paths_of([("a > b", 0, 0, 3), ("b", 0, 0, 1)])
    assert_credit(attribute(paths, model), {"a": 0, "b": 0}, {"a": 0, "b": 0})


@pytest.mark.parametrize("model", MODELS)
def test_zero_revenue_gives_zero_revenue_credit_not_nan(model):
    table = attribute(paths_of([("a > b", 2, 0, 1), ("b", 1, 0, 0)]), model)
    assert by_key(table, "revenue") == {"a": 0.0, "b": 0.0}
    assert sum(by_key(table, "conversions").values()) == pytest.approx(3.0)


@pytest.mark.parametrize("model", MODELS)
def test_unicode_channel_names_survive(model):
    # One path, two channels: whatever the split, the keys come back intact and sum to 1 / 9.
    table = attribute(paths_of([("Événement 🎉 > 邮件", 1, 9, 0)]), model)
    assert set(table.column("key").to_pylist()) == {"Événement 🎉", "邮件"}
    assert sum(by_key(table, "revenue").values()) == pytest.approx(9.0)


def test_unknown_model_is_named_in_the_error():
    with pytest.raises(ValueError, match="'magic'"):
        attribute(paths_of(EXAMPLE), "magic")


def test_compare_puts_models_side_by_side():
    table = attribution_compare(paths_of(EXAMPLE), models=["first", "last", "linear"])
    assert table.column_names == ["key", "first", "last", "linear"]
    # Values as derived in the single-model tests above.
    assert table.column("key").to_pylist() == ["a", "b", "c"]
    assert table.column("first").to_pylist() == [3.0, 1.0, 1.0]
    assert table.column("last").to_pylist() == [1.0, 1.0, 3.0]
    assert table.column("linear").to_pylist() == pytest.approx([17 / 12, 5 / 3, 23 / 12])


def test_compare_by_revenue_and_all_models_conserve_totals():
    table = attribution_compare(paths_of(EXAMPLE), measure="revenue")
    assert table.column_names == ["key", *MODELS]
    for model in MODELS:
        assert sum(table.column(model).to_pylist()) == pytest.approx(180.0), model


def test_compare_rejects_an_unknown_measure():
    with pytest.raises(ValueError, match="measure"):
        attribution_compare(paths_of(EXAMPLE), measure="clicks")
