"""Odds ratios for 2×2 tables: how much more likely a lead with a trait is to convert.

    converted  not converted
    a          b               trait present
    c          d               trait absent

OR = (a·d)/(b·c) with Woolf's 95% interval exp(ln OR ± 1.96·√(1/a+1/b+1/c+1/d)). A zero cell
would make that infinite, so then 0.5 is added to every cell (the Haldane–Anscombe correction).
The p-value is Fisher's exact test on the uncorrected counts: exact at the small supports a
trait report meets. Benjamini–Hochberg q-values temper the many traits tested at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import fisher_exact

Z95 = 1.959963984540054


@dataclass(frozen=True)
class OddsRatio:
    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    corrected: bool  # Haldane–Anscombe correction applied (a zero cell)


def odds_ratio(a: int, b: int, c: int, d: int) -> OddsRatio:
    if min(a, b, c, d) < 0:
        raise ValueError("counts must not be negative")
    corrected = 0 in (a, b, c, d)
    fa, fb, fc, fd = (
        (x + 0.5 for x in (a, b, c, d)) if corrected else (float(a), float(b), float(c), float(d))
    )
    ratio = (fa * fd) / (fb * fc)
    se = math.sqrt(1 / fa + 1 / fb + 1 / fc + 1 / fd)
    log = math.log(ratio)
    p = float(fisher_exact([[a, b], [c, d]]).pvalue)
    return OddsRatio(ratio, math.exp(log - Z95 * se), math.exp(log + Z95 * se), min(1.0, p), corrected)


def bh_q_values(p_values: list[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (false discovery rate), in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q[i] = running
    return q
