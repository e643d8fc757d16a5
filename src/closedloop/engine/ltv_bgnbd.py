"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting your customers the
easy way"): how many more purchases a customer will make, and the chance they are still a customer.

A customer is summarised by ``frequency`` x (repeat purchases after the first), ``recency`` t_x
(time of the last repeat purchase, measured from the first purchase; 0 when x = 0) and ``T`` (time
from the first purchase to the end of observation), all in one time unit. While active, a customer
buys at Poisson rate λ ~ Gamma(r, α); after each repeat purchase they drop out with probability
p ~ Beta(a, b). Equation numbers below are the paper's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

__all__ = [
    "BgNbdParams",
    "bgnbd_conditional_expected",
    "bgnbd_expected",
    "bgnbd_fit",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
]


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    n_customers: int = 0


def _check(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, ...]:
    x, t_x, t = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, T))
    if not (x.shape == t_x.shape == t.shape):
        raise ValueError("frequency, recency and T must have the same length")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be whole numbers ≥ 0 (repeat purchases)")
    if np.any(t_x < 0) or np.any(t_x > t):
        raise ValueError("recency must lie between 0 and T")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("recency must be 0 for customers with no repeat purchase")
    return x, t_x, t


def bgnbd_log_likelihood(
    params: BgNbdParams | tuple[float, float, float, float],
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
) -> np.ndarray:
    """Each customer's log-likelihood, eq. (6):

    L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
      + [x > 0] · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))
    """
    r, alpha, a, b = _values(params)
    x, t_x, t = _check(frequency, recency, T)
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) - special.betaln(a, b)
    alive = special.betaln(a, b + x) - (r + x) * np.log(alpha + t)
    has_repeat = x > 0
    # b + x − 1 is negative for x = 0 when b < 1; that term does not exist for x = 0 anyway.
    x_safe = np.where(has_repeat, x, 1.0)
    died = special.betaln(a + 1, b + x_safe - 1) - (r + x_safe) * np.log(alpha + t_x)
    return common + np.where(has_repeat, np.logaddexp(alive, died), alive)


def _values(params: BgNbdParams | tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    if isinstance(params, BgNbdParams):
        return params.r, params.alpha, params.a, params.b
    r, alpha, a, b = params
    if min(r, alpha, a, b) <= 0:
        raise ValueError(f"BG/NBD parameters must all be positive, got {params}")
    return float(r), float(alpha), float(a), float(b)


def bgnbd_fit(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> BgNbdParams:
    """Maximum-likelihood estimates of r, α, a, b.

    Times are rescaled by the longest T before fitting and α is scaled back (α is a rate, so it
    scales with the time unit): the optimiser then sees parameters of similar size whatever the
    unit. Parameters are fitted on the log scale so they stay positive.
    """
    x, t_x, t = _check(frequency, recency, T)
    if len(x) < 2:
        raise ValueError(f"BG/NBD needs at least 2 customers to fit, got {len(x)}")
    if not np.any(x > 0):
        raise ValueError("BG/NBD cannot be fitted when no customer has a repeat purchase")
    scale = float(t.max())
    if scale <= 0:
        raise ValueError("BG/NBD needs some observation time: every T is 0")
    t_x, t = t_x / scale, t / scale

    def objective(log_params: np.ndarray) -> float:
        values = bgnbd_log_likelihood(tuple(np.exp(log_params)), x, t_x, t)
        total = -float(values.sum())
        return total if np.isfinite(total) else 1e300

    best = minimise_log_params(objective, 4)
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    alpha *= scale
    # The optimiser's likelihood is in rescaled time; report it in the caller's unit.
    log_likelihood = float(bgnbd_log_likelihood((r, alpha, a, b), frequency, recency, T).sum())
    return BgNbdParams(r, alpha, a, b, log_likelihood, len(x))


def minimise_log_params(objective: Callable[[np.ndarray], float], n: int) -> optimize.OptimizeResult:
    """Minimise over log-parameters in [−12, 12]: SLSQP from all parameters = 1 (fast, and
    converges on ordinary data), Nelder-Mead from there as the fallback."""
    bounds = [(-12.0, 12.0)] * n
    first = optimize.minimize(objective, np.zeros(n), method="SLSQP", bounds=bounds)
    if first.success and first.fun < 1e300:
        return first
    second = optimize.minimize(
        objective, first.x if first.fun < 1e300 else np.zeros(n), method="Nelder-Mead", bounds=bounds
    )
    best = min((first, second), key=lambda res: res.fun)
    if not best.fun < 1e300:
        raise ValueError("the fit did not converge (the data may be degenerate)")
    return best


def bgnbd_p_alive(
    params: BgNbdParams, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """P(still active at T | x, t_x, T) (Fader, Hardie & Lee's note "Computing P(alive) using the
    BG/NBD model"): 1 for customers with no repeat purchase, since the model lets customers drop
    out only after a repeat purchase."""
    r, alpha, a, b = _values(params)
    x, t_x, t = _check(frequency, recency, T)
    x_safe = np.where(x > 0, x, 1.0)
    log_odds = np.log(a) - np.log(b + x_safe - 1) + (r + x_safe) * (np.log(alpha + t) - np.log(alpha + t_x))
    return np.where(x > 0, 1.0 / (1.0 + np.exp(log_odds)), 1.0)


def _near_one(a: float, compute: Callable[[float], np.ndarray]) -> np.ndarray:
    # The closed forms divide by a − 1 and are 0/0 at a = 1 exactly; the symmetric average of
    # both sides is the limit to O(h²). Elsewhere (a < 1 included) they hold as they stand —
    # checked against direct numerical integration of the model in the tests.
    h = 1e-4
    if abs(a - 1) < h:
        return (compute(1 - h) + compute(1 + h)) / 2
    return compute(a)


def bgnbd_expected(params: BgNbdParams, t: float | np.ndarray) -> np.ndarray:
    """E[X(t)]: purchases a new customer makes in its first t time units, eq. (7)."""
    r, alpha, a, b = _values(params)
    t = np.asarray(t, dtype=np.float64)

    def compute(a: float) -> np.ndarray:
        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return np.asarray((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp))

    return _near_one(a, compute)


def bgnbd_conditional_expected(
    params: BgNbdParams,
    t: float,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t time units, eq. (10)."""
    r, alpha, a, b = _values(params)
    x, t_x, t_obs = _check(frequency, recency, T)
    x_safe = np.where(x > 0, x, 1.0)
    odds = np.where(
        x > 0,
        a / (b + x_safe - 1) * ((alpha + t_obs) / (alpha + t_x)) ** (r + x_safe),
        0.0,
    )

    def compute(a: float) -> np.ndarray:
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + t_obs + t))
        head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + t_obs) / (alpha + t_obs + t)) ** (r + x) * hyp)
        return np.asarray(head / (1 + odds))

    return _near_one(a, compute)
