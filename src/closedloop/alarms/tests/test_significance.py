"""The two tests behind every alarm, against scipy and hand-computed values."""

import math

import pytest
from scipy import stats

from closedloop.alarms.significance import normal_cdf, p_text, poisson_cdf, two_proportion_drop


@pytest.mark.parametrize(
    ("k", "mean"),
    [(0, 0.5), (0, 10.0), (2, 10.0), (3, 10.0), (40, 1112.0), (0, 51.9), (120, 100.0), (5, 0.0)],
)
def test_poisson_cdf_matches_scipy(k, mean):
    assert poisson_cdf(k, mean) == pytest.approx(stats.poisson.cdf(k, mean), rel=1e-9, abs=1e-300)


def test_poisson_cdf_by_hand():
    # P(X ≤ 0 | 10) = e^-10; P(X ≤ 2 | 10) = e^-10 (1 + 10 + 100/2) = 61 e^-10.
    assert poisson_cdf(0, 10.0) == pytest.approx(math.exp(-10))
    assert poisson_cdf(2, 10.0) == pytest.approx(61 * math.exp(-10))
    assert poisson_cdf(-1, 3.0) == 0.0


@pytest.mark.parametrize("z", [-4.0, -2.326, -1.0, 0.0, 1.5])
def test_normal_cdf_matches_scipy(z):
    assert normal_cdf(z) == pytest.approx(stats.norm.cdf(z), rel=1e-12)


def test_two_proportion_drop_by_hand():
    # 5 of 50 (10%) against 80 of 200 (40%). Pooled rate 85 / 250 = 0.34;
    # SE = sqrt(0.34 × 0.66 × (1/50 + 1/200)) = sqrt(0.2244 × 0.025) = 0.0748999;
    # z = (0.10 - 0.40) / 0.0748999 = -4.00535; one-sided p = Φ(-4.00535) = 3.097e-5.
    test = two_proportion_drop(x_recent=5, n_recent=50, x_before=80, n_before=200)
    assert test.z == pytest.approx(-4.00535, abs=1e-5)
    assert test.p_value == pytest.approx(3.097e-5, rel=1e-3)
    assert test.p_value == pytest.approx(stats.norm.cdf(test.z))


def test_two_proportion_drop_without_variation_is_no_evidence():
    assert two_proportion_drop(x_recent=0, n_recent=20, x_before=0, n_before=40).p_value == 0.5
    with pytest.raises(ValueError):
        two_proportion_drop(x_recent=0, n_recent=0, x_before=1, n_before=4)


def test_p_text():
    assert p_text(0.0009) == "p < 0.001"
    assert p_text(0.0027694) == "p = 0.003"
