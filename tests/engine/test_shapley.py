"""Exact Shapley attribution, checked against coalition sums worked out by hand."""

import pytest

from closedloop.engine.shapley import MAX_CHANNELS, shapley_attribution
from tests.engine.attribution_paths import by_key, paths_of


def test_three_channels_by_coalition_sums():
    # Converting paths by channel set: {a,b,c} 2 + 1 = 3 (P1, P4), {a,b} 1 (P2), {c} 1 (P3).
    # v(S) = conversions of paths whose set ⊆ S:
    #   v{} = v{a} = v{b} = 0, v{c} = 1, v{a,b} = 1, v{a,c} = 1, v{b,c} = 1, v{a,b,c} = 5.
    # Weights |S|!(2-|S|)!/3! for S without the channel: |S|=0 → 1/3, 1 → 1/6, 2 → 1/3.
    # φ_a = 1/3·0 + 1/6·(v{a,b}-v{b}=1) + 1/6·(v{a,c}-v{c}=0) + 1/3·(5-1) = 1/6 + 4/3 = 3/2
    # φ_b = 3/2 by symmetry with a
    # φ_c = 1/3·1 + 1/6·1 + 1/6·1 + 1/3·4 = 2
    # Revenue, v{c} = 10, v{a,b} = 30, v{a,c} = v{b,c} = 10, v{a,b,c} = 180:
    #   φ_a = 1/6·(v{a,b}-v{b}=30) + 1/6·(v{a,c}-v{c}=0) + 1/3·(180-10) = 5 + 170/3 = 185/3 = φ_b
    #   φ_c = 1/3·v{c} + 1/6·(v{a,c}-v{a}) + 1/6·(v{b,c}-v{b}) + 1/3·(v{a,b,c}-v{a,b})
    #       = 10/3 + 10/6 + 10/6 + 150/3 = 170/3
    # Check: 185/3 + 185/3 + 170/3 = 180. The null-only path b > c changes no v(S).
    paths = paths_of(
        [
            ("a > b > c", 2, 100, 1),
            ("b > a", 1, 30, 0),
            ("c", 1, 10, 2),
            ("a > b > c > b", 1, 40, 0),
            ("b > c", 0, 0, 4),
        ]
    )
    table = shapley_attribution(paths)
    assert by_key(table, "conversions") == pytest.approx({"a": 1.5, "b": 1.5, "c": 2.0})
    assert by_key(table, "revenue") == pytest.approx({"a": 185 / 3, "b": 185 / 3, "c": 170 / 3})


def test_equals_an_equal_split_among_each_paths_distinct_channels():
    # v(S) = Σ_T w(T)·[T ⊆ S] is a sum of unanimity games, whose Shapley value gives w(T)/|T| to
    # every member of T. So: "d > e > d" (1 conv, revenue 6) → d, e 1/2 each (3 each);
    # "e" (2 conv, 4) → e 2 (4); "d > e > f" (3 conv, 9) → 1 each (3 each).
    paths = paths_of([("d > e > d", 1, 6, 0), ("e", 2, 4, 1), ("d > e > f", 3, 9, 0)])
    table = shapley_attribution(paths)
    assert by_key(table, "conversions") == pytest.approx({"d": 1.5, "e": 3.5, "f": 1.0})
    assert by_key(table, "revenue") == pytest.approx({"d": 6.0, "e": 10.0, "f": 3.0})


def test_unicode_and_zero_revenue():
    table = shapley_attribution(paths_of([("Événement 🎉 > 邮件", 2, 0, 0)]))
    assert by_key(table, "conversions") == pytest.approx({"Événement 🎉": 1.0, "邮件": 1.0})
    assert by_key(table, "revenue") == {"Événement 🎉": 0.0, "邮件": 0.0}


def test_too_many_channels_on_converting_paths_is_refused_clearly():
    path = " > ".join(f"c{i}" for i in range(MAX_CHANNELS + 1))
    with pytest.raises(ValueError, match=f"at most {MAX_CHANNELS} channels.*have {MAX_CHANNELS + 1}"):
        shapley_attribution(paths_of([(path, 1, 0, 0)]))


def test_channels_only_on_failed_paths_do_not_count_toward_the_limit():
    # 17 channels exist but only 2 appear on a converting path; the others are null players.
    failed = " > ".join(f"c{i}" for i in range(MAX_CHANNELS))
    table = shapley_attribution(paths_of([("x > y", 1, 2, 0), (failed, 0, 0, 5)]))
    values = by_key(table, "conversions")
    assert values["x"] == pytest.approx(0.5)
    assert values["y"] == pytest.approx(0.5)
    assert values["c0"] == 0.0
