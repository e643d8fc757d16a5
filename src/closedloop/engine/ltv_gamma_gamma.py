"""The Gamma-Gamma model of spend per transaction (Fader & Hardie, "The Gamma-Gamma model of
monetary value", 2013): what a customer's future purchases are worth on average.

Each transaction's value z ~ Gamma(p, ν), and the customer's ν ~ Gamma(q, γ), independent of how
often they buy (check that before trusting it: spend and frequency should be barely correlated).
A customer is summarised by x repeat transactions and their mean value m̄ (``monetary``); only
customers with x > 0 inform the fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from closedloop.engine.ltv_bgnbd import minimise_log_params

__all__ = [
    "GammaGammaParams",
    "gamma_gamma_expected_value",
    "gamma_gamma_fit",
    "gamma_gamma_log_likelihood",
]


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float
    log_likelihood: float = float("nan")
    n_customers: int = 0

    @property
    def population_mean(self) -> float | None:
        """E[Z] = pγ/(q − 1): the mean spend of a customer we know nothing about (q > 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else None


def _check(frequency: np.ndarray, monetary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, m = np.asarray(frequency, dtype=np.float64), np.asarray(monetary, dtype=np.float64)
    if x.shape != m.shape:
        raise ValueError("frequency and monetary must have the same length")
    if np.any(x < 0):
        raise ValueError("frequency must be ≥ 0")
    if np.any(m[x > 0] <= 0):
        raise ValueError("monetary (mean spend) must be > 0 for customers with repeat transactions")
    return x, m


def gamma_gamma_log_likelihood(
    params: GammaGammaParams | tuple[float, float, float],
    frequency: np.ndarray,
    monetary: np.ndarray,
) -> np.ndarray:
    """Log of the density of m̄ given x (Fader & Hardie 2013, eq. 1), customers with x > 0:

    f(m̄ | p, q, γ, x) = Γ(px + q) / (Γ(px) Γ(q)) · γ^q · m̄^(px−1) · x^(px) / (γ + m̄x)^(px+q)
    """
    p, q, gamma = _values(params)
    x, m = _check(frequency, monetary)
    if np.any(x == 0):
        raise ValueError("the Gamma-Gamma likelihood is defined only for customers with frequency > 0")
    px = p * x
    return np.asarray(
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def _values(params: GammaGammaParams | tuple[float, float, float]) -> tuple[float, float, float]:
    if isinstance(params, GammaGammaParams):
        return params.p, params.q, params.gamma
    p, q, gamma = params
    if min(p, q, gamma) <= 0:
        raise ValueError(f"Gamma-Gamma parameters must all be positive, got {params}")
    return float(p), float(q), float(gamma)


def gamma_gamma_fit(frequency: np.ndarray, monetary: np.ndarray) -> GammaGammaParams:
    """Maximum-likelihood p, q, γ over customers with at least one repeat transaction.

    Spend is divided by its mean before fitting (γ scales with the currency unit and is scaled
    back), so a catalogue priced in cents fits as well as one priced in thousands.
    """
    x, m = _check(frequency, monetary)
    repeat = x > 0
    x, m = x[repeat], m[repeat]
    if len(x) < 2:
        raise ValueError(f"Gamma-Gamma needs at least 2 customers with repeat transactions, got {len(x)}")
    scale = float(m.mean())
    m = m / scale

    def objective(log_params: np.ndarray) -> float:
        total = -float(gamma_gamma_log_likelihood(tuple(np.exp(log_params)), x, m).sum())
        return total if np.isfinite(total) else 1e300

    best = minimise_log_params(objective, 3)
    p, q, gamma = (float(v) for v in np.exp(best.x))
    gamma *= scale
    log_likelihood = float(gamma_gamma_log_likelihood((p, q, gamma), x, m * scale).sum())
    return GammaGammaParams(p, q, gamma, log_likelihood, len(x))


def gamma_gamma_expected_value(
    params: GammaGammaParams, frequency: np.ndarray, monetary: np.ndarray
) -> np.ndarray:
    """E[M | p, q, γ, m̄, x] = (γ + m̄x) p / (px + q − 1) (Fader & Hardie 2013, eq. 5).

    This is a weighted mean of the population mean pγ/(q − 1) and the customer's own m̄, the
    weight on m̄ growing with x; for x = 0 it is the population mean.
    """
    p, q, gamma = _values(params)
    if q <= 1:
        raise ValueError(f"Gamma-Gamma expected spend needs q > 1, the fit gave q = {q:.3g}")
    x, m = _check(frequency, monetary)
    m = np.where(x > 0, m, 0.0)
    return np.asarray((gamma + m * x) * p / (p * x + q - 1))
