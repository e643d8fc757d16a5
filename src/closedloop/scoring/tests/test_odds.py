"""Odds ratios, Woolf intervals, Haldane correction and Fisher p-values against hand computation."""

import math

import pytest

from closedloop.scoring.odds import bh_q_values, odds_ratio


def fisher_two_sided(a, b, c, d):
    """Independent reference: sum of hypergeometric probabilities no larger than the observed one."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(x):
        return math.comb(col1, x) * math.comb(n - col1, row1 - x) / math.comb(n, row1)

    observed = prob(a)
    low, high = max(0, row1 + col1 - n), min(row1, col1)
    return sum(prob(x) for x in range(low, high + 1) if prob(x) <= observed * (1 + 1e-7))


def test_two_by_two_by_hand():
    # a=20 b=10 c=30 d=60: OR = 20·60/(10·30) = 4; SE = √(1/20+1/10+1/30+1/60) = √0.2 = 0.44721;
    # CI = 4·exp(±1.95996·0.44721) = 4·exp(±0.87652) → 1.6649 … 9.6101.
    result = odds_ratio(20, 10, 30, 60)
    assert result.odds_ratio == pytest.approx(4.0)
    assert result.ci_low == pytest.approx(1.6649, abs=1e-4)
    assert result.ci_high == pytest.approx(9.6101, abs=1e-4)
    assert not result.corrected
    assert result.p_value == pytest.approx(fisher_two_sided(20, 10, 30, 60), rel=1e-6)
    assert result.p_value < 0.01


def test_zero_cell_gets_the_haldane_correction():
    # 0.5·5.5 / (10.5·5.5) = 0.047619; SE = √(1/0.5+1/10.5+2/5.5) = √2.45887 = 1.56808.
    result = odds_ratio(0, 10, 5, 5)
    assert result.corrected
    assert result.odds_ratio == pytest.approx(0.047619, abs=1e-6)
    assert result.ci_high == pytest.approx(0.047619 * math.exp(1.959964 * 1.56808), rel=1e-4)
    assert result.p_value == pytest.approx(fisher_two_sided(0, 10, 5, 5), rel=1e-6)


def test_benjamini_hochberg_by_hand():
    # p sorted 0.01, 0.02, 0.03, 0.5 with m=4: 0.04, 0.04, 0.04, 0.5 (monotone from the top).
    assert bh_q_values([0.03, 0.01, 0.5, 0.02]) == pytest.approx([0.04, 0.04, 0.5, 0.04])
