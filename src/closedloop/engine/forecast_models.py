"""Forecasting methods: Holt's linear trend, additive Holt-Winters and seasonal naive.

Plain, well-understood methods (Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice*, ch. 8) written in the error-correction form; smoothing parameters minimise the
in-sample sum of squared one-step errors (scipy L-BFGS-B within [0, 1]). Each fit knows how its
h-step forecast variance grows (FPP's ETS variance factors), used when a backtest has too few
errors to read intervals from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["METHODS", "Fitted", "method_fit", "min_points"]

METHODS = ("holt", "holt_winters", "seasonal_naive")


@dataclass(frozen=True)
class Fitted:
    """A fitted method: forecasts ``h`` steps past the end of the series it was fitted on."""

    method: str
    params: tuple[tuple[str, float], ...]
    residuals: np.ndarray
    _forecast: Callable[[int], np.ndarray]
    _variance: Callable[[int], np.ndarray]

    def forecast(self, horizon: int) -> np.ndarray:
        return self._forecast(horizon)

    def variance_factors(self, horizon: int) -> np.ndarray:
        """Var(h-step error) / Var(1-step error) for h = 1..horizon."""
        return self._variance(horizon)

    @property
    def sigma(self) -> float:
        """Root mean squared one-step residual."""
        return float(np.sqrt(np.mean(self.residuals**2))) if len(self.residuals) else 0.0


def min_points(method: str, season_length: int | None) -> int:
    """The fewest points a method can be fitted on."""
    if method == "holt":
        return 3
    m = _season(method, season_length)
    # Holt-Winters initialises from two full seasons and needs one more point to learn from.
    return 2 * m + 1 if method == "holt_winters" else m


def _season(method: str, season_length: int | None) -> int:
    if season_length is None or season_length < 2:
        raise ValueError(f"{method} needs season_length ≥ 2 (e.g. 12 for months), got {season_length}")
    return season_length


def method_fit(y: np.ndarray, method: str, season_length: int | None = None) -> Fitted:
    if method == "holt":
        return _holt_fit(y)
    if method == "holt_winters":
        return _holt_winters_fit(y, _season(method, season_length))
    if method == "seasonal_naive":
        return _seasonal_naive_fit(y, _season(method, season_length))
    raise ValueError(f"unknown forecast method {method!r}; choose one of {', '.join(METHODS)}")


def _line(y: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of the least-squares line through y against 0..len-1."""
    t = np.arange(len(y), dtype=np.float64)
    slope, intercept = np.polyfit(t, y, 1)
    return float(intercept), float(slope)


def _holt_run(
    y: np.ndarray, alpha: float, beta: float, level: float, trend: float
) -> tuple[np.ndarray, float, float]:
    # Plain floats and lists: the optimiser calls this thousands of times per backtest, and numpy
    # scalar arithmetic in a loop is several times slower.
    alpha, beta = float(alpha), float(beta)
    errors = []
    for value in y.tolist():
        error = value - (level + trend)
        level, trend = level + trend + alpha * error, trend + alpha * beta * error
        errors.append(error)
    return np.array(errors), level, trend


def _holt_fit(y: np.ndarray) -> Fitted:
    # Start from the least-squares line over the first points (at most 10), not from y1 − y0:
    # one noisy step would otherwise set the trend for the whole fit.
    intercept, slope = _line(y[: min(len(y), 10)])
    level0, trend0 = intercept - slope, slope

    def sse(params: np.ndarray) -> float:
        return float(np.sum(_holt_run(y, params[0], params[1], level0, trend0)[0] ** 2))

    alpha, beta = _minimise(sse, [(a, b) for a in (0.1, 0.3, 0.5, 0.8) for b in (0.05, 0.2, 0.5)])
    errors, level, trend = _holt_run(y, alpha, beta, level0, trend0)

    def forecast(h: int) -> np.ndarray:
        return level + trend * np.arange(1, h + 1, dtype=np.float64)

    def variance(h: int) -> np.ndarray:
        # ETS(A,A,N): 1 + Σ_{j<h} (α + jαβ)².
        c = alpha + alpha * beta * np.arange(1, h, dtype=np.float64)
        return 1 + np.concatenate([[0.0], np.cumsum(c**2)])

    return Fitted("holt", (("alpha", alpha), ("beta", beta)), errors, forecast, variance)


def _hw_run(
    y: np.ndarray, params: np.ndarray, level: float, trend: float, season: np.ndarray
) -> tuple[np.ndarray, float, float, np.ndarray]:
    alpha, beta, gamma = (float(v) for v in params)
    m = len(season)
    state = season.tolist()
    errors = []
    for i, value in enumerate(y.tolist()):
        error = value - (level + trend + state[i % m])
        level, trend = level + trend + alpha * error, trend + alpha * beta * error
        # Classical update s_t = γ(y_t − l_t) + (1 − γ)s_{t−m}, rewritten with the error.
        state[i % m] += gamma * (1 - alpha) * error
        errors.append(error)
    return np.array(errors), level, trend, np.array(state)


def _holt_winters_fit(y: np.ndarray, m: int) -> Fitted:
    intercept, slope = _line(y[: 2 * m])
    detrended = y[: 2 * m] - (intercept + slope * np.arange(2 * m))
    season0 = detrended.reshape(2, m).mean(axis=0)
    season0 -= season0.mean()
    level0, trend0 = intercept - slope, slope

    def sse(params: np.ndarray) -> float:
        return float(np.sum(_hw_run(y, params, level0, trend0, season0)[0] ** 2))

    starts = [(a, b, g) for a in (0.2, 0.5, 0.8) for b in (0.05, 0.3) for g in (0.1, 0.5)]
    params = _minimise(sse, starts)
    errors, level, trend, season = _hw_run(y, np.array(params), level0, trend0, season0)
    n = len(y)

    def forecast(h: int) -> np.ndarray:
        steps = np.arange(1, h + 1)
        return level + trend * steps + season[(n + steps - 1) % m]

    def variance(h: int) -> np.ndarray:
        alpha, beta, gamma = params
        j = np.arange(1, h, dtype=np.float64)
        c = alpha + alpha * beta * j + gamma * (1 - alpha) * (j % m == 0)
        return 1 + np.concatenate([[0.0], np.cumsum(c**2)])

    names = ("alpha", "beta", "gamma")
    return Fitted("holt_winters", tuple(zip(names, params, strict=True)), errors, forecast, variance)


def _seasonal_naive_fit(y: np.ndarray, m: int) -> Fitted:
    last_season = y[-m:].copy()
    errors = y[m:] - y[:-m]

    def forecast(h: int) -> np.ndarray:
        return last_season[np.arange(h) % m]

    def variance(h: int) -> np.ndarray:
        # Each further season back adds one more season's error: Var = σ²(⌊(h−1)/m⌋ + 1).
        return np.floor(np.arange(h) / m) + 1

    return Fitted("seasonal_naive", (("season_length", float(m)),), errors, forecast, variance)


def _minimise(sse: Callable[[np.ndarray], float], starts: Sequence[tuple[float, ...]]) -> tuple[float, ...]:
    """Best of a coarse grid, then L-BFGS-B from there within [0, 1] for every parameter."""
    best = min(starts, key=lambda s: sse(np.array(s)))
    result = optimize.minimize(sse, np.array(best), method="SLSQP", bounds=[(0.0, 1.0)] * len(best))
    chosen = result.x if result.fun <= sse(np.array(best)) else np.array(best)
    return tuple(float(min(max(v, 0.0), 1.0)) for v in chosen)
