"""The two significance tests the detectors use, in plain Python so the hourly check imports
nothing heavy. Tests compare them against scipy."""

import math
from dataclasses import dataclass


def poisson_cdf(k: int, mean: float) -> float:
    """P(X ≤ k) for X ~ Poisson(mean): how likely so few (k) when `mean` were expected."""
    if k < 0:
        return 0.0
    if mean <= 0:
        return 1.0
    # Sum in log space: e^-mean underflows to 0 for the large means a busy campaign produces.
    logs = [-mean + i * math.log(mean) - math.lgamma(i + 1) for i in range(k + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))


def normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


@dataclass(frozen=True)
class ProportionTest:
    z: float
    # One-sided: the probability of a drop at least this large if both rates were really equal.
    p_value: float


def two_proportion_drop(*, x_recent: int, n_recent: int, x_before: int, n_before: int) -> ProportionTest:
    """Pooled two-proportion z-test of "the recent rate is lower than the earlier one"."""
    if n_recent <= 0 or n_before <= 0:
        raise ValueError("both groups need at least one member")
    pooled = (x_recent + x_before) / (n_recent + n_before)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_recent + 1 / n_before))
    if se == 0:
        # Every member converted, or none did, in both groups: no evidence of a change.
        return ProportionTest(z=0.0, p_value=0.5)
    z = (x_recent / n_recent - x_before / n_before) / se
    return ProportionTest(z=z, p_value=normal_cdf(z))


def p_text(p: float) -> str:
    """ "p < 0.001" below a thousandth, else "p = 0.004"; what the messages print."""
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"
