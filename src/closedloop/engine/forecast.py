"""Forecasts of MQL volume, pipeline and revenue per period, with intervals and an honest error.

Every forecast comes with a rolling-origin backtest: the method is refitted on each prefix of the
history and scored on the periods that followed, so the MAPE shown next to a forecast is what the
method actually achieved on this series, not an in-sample flattery. Intervals are read from those
backtest errors (empirical quantiles per horizon); with too few of them, from the method's normal
approximation. Methods: forecast_models.py; written out in docs/kpis.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pyarrow as pa
from scipy import stats

from closedloop.engine.forecast_models import METHODS, method_fit, min_points
from closedloop.engine.kpis import amounts
from closedloop.engine.periods import Period, column_datetimes, duckdb_query, require_columns

__all__ = ["Backtest", "Forecast", "backtest", "forecast", "forecast_series", "mape", "period_series"]

# Fewer backtest errors than this at a horizon and their quantiles say little: use the normal
# approximation instead.
MIN_ERRORS_FOR_QUANTILES = 8


def mape(actual: Sequence[float] | np.ndarray, predicted: Sequence[float] | np.ndarray) -> float | None:
    """Mean absolute percentage error, as a fraction (0.12 = 12 %): mean(|a − f| / |a|).

    Points whose actual value is 0 have no percentage error and are left out; None when no
    point is left. NaN pairs (no forecast) are left out too.
    """
    a, f = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    if a.shape != f.shape:
        raise ValueError(f"actual and predicted differ in shape: {a.shape} vs {f.shape}")
    usable = (a != 0) & ~np.isnan(a) & ~np.isnan(f)
    if not usable.any():
        return None
    return float(np.mean(np.abs(a[usable] - f[usable]) / np.abs(a[usable])))


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin errors: row i forecasts from ``origins[i]`` (the first unseen index)."""

    origins: np.ndarray
    actuals: np.ndarray
    predictions: np.ndarray
    errors: np.ndarray  # actual − predicted; NaN where origin + h is past the data

    @property
    def mape(self) -> float | None:
        return mape(self.actuals, self.predictions)

    def mape_by_horizon(self) -> tuple[float | None, ...]:
        return tuple(mape(self.actuals[:, h], self.predictions[:, h]) for h in range(self.errors.shape[1]))


def _series(series: Sequence[float] | np.ndarray) -> np.ndarray:
    y = np.asarray(series, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"series must be one-dimensional, got shape {y.shape}")
    if len(y) == 0:
        raise ValueError("series is empty: there is nothing to forecast from")
    bad = np.flatnonzero(~np.isfinite(y))
    if len(bad):
        raise ValueError(f"series has missing or infinite values at positions {bad[:10].tolist()}")
    return y


def _resolve(method: str, season_length: int | None, n: int) -> str:
    if method != "auto":
        if method not in METHODS:
            raise ValueError(
                f"unknown forecast method {method!r}; choose auto or one of {', '.join(METHODS)}"
            )
        return method
    # Seasonality needs enough history to be learned; otherwise a trend is the safer bet.
    if season_length is not None and n >= min_points("holt_winters", season_length) + season_length:
        return "holt_winters"
    return "holt"


def backtest(
    series: Sequence[float] | np.ndarray,
    *,
    horizon: int,
    method: str = "holt",
    season_length: int | None = None,
    min_train: int | None = None,
) -> Backtest:
    """Refit on y[:o] for every origin o from ``min_train`` to n − 1 and forecast ``horizon`` steps.

    ``min_train`` defaults to half the series, and never less than the method needs.
    """
    y = _series(series)
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    method = _resolve(method, season_length, len(y))
    need = min_points(method, season_length)
    if len(y) < need + 1:
        raise ValueError(
            f"series has {len(y)} point(s); {method} needs at least {need + 1} "
            f"({need} to fit and 1 to check the forecast against)"
        )
    start = min_train if min_train is not None else max(need, math.ceil(len(y) / 2))
    if start < need or start >= len(y):
        raise ValueError(f"min_train must be between {need} and {len(y) - 1} for this series, got {start}")
    origins = np.arange(start, len(y))
    actuals = np.full((len(origins), horizon), np.nan)
    predictions = np.full((len(origins), horizon), np.nan)
    for i, origin in enumerate(origins.tolist()):
        steps = min(horizon, len(y) - origin)
        predictions[i, :steps] = method_fit(y[:origin], method, season_length).forecast(steps)
        actuals[i, :steps] = y[origin : origin + steps]
    return Backtest(origins, actuals, predictions, actuals - predictions)


@dataclass(frozen=True)
class Forecast:
    """Point forecasts and ``level`` prediction intervals for the next ``horizon`` periods,
    with the backtest that measured the method on this series."""

    method: str
    params: tuple[tuple[str, float], ...]
    level: float
    point: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    interval_method: tuple[str, ...]
    backtest: Backtest
    periods: tuple[date, ...] | None = None

    @property
    def mape(self) -> float | None:
        return self.backtest.mape

    @property
    def backtest_errors(self) -> np.ndarray:
        return self.backtest.errors

    def to_table(self) -> pa.Table:
        """``step, [period], forecast, lower, upper, interval_method``."""
        columns: dict[str, pa.Array] = {"step": pa.array(np.arange(1, len(self.point) + 1), pa.int64())}
        if self.periods is not None:
            columns["period"] = pa.array(self.periods, pa.date32())
        columns |= {
            "forecast": pa.array(self.point),
            "lower": pa.array(self.lower),
            "upper": pa.array(self.upper),
            "interval_method": pa.array(self.interval_method, pa.string()),
        }
        return pa.table(columns)


def forecast(
    series: Sequence[float] | np.ndarray,
    *,
    horizon: int,
    method: str = "auto",
    season_length: int | None = None,
    level: float = 0.8,
    min_train: int | None = None,
    floor: float | None = 0.0,
) -> Forecast:
    """Forecast the ``horizon`` periods after ``series`` (oldest first, one value per period).

    ``method``: ``holt`` (trend), ``holt_winters`` (trend + season), ``seasonal_naive`` or
    ``auto`` (Holt-Winters when ``season_length`` is given and there are at least three seasons
    of history, Holt otherwise). ``floor`` clips forecasts and bounds from below — counts and
    amounts are never negative; pass None for series that can be.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.8 for 80 %), got {level}")
    y = _series(series)
    if floor is not None and np.any(y < floor):
        raise ValueError(f"series has values below floor={floor}; pass floor=None for such a series")
    chosen = _resolve(method, season_length, len(y))
    checked = backtest(y, horizon=horizon, method=chosen, season_length=season_length, min_train=min_train)
    fitted = method_fit(y, chosen, season_length)
    point = fitted.forecast(horizon)
    lower, upper, how = _intervals(
        point, checked.errors, fitted.sigma, fitted.variance_factors(horizon), level
    )
    if floor is not None:
        point, lower, upper = (np.maximum(v, floor) for v in (point, lower, upper))
    return Forecast(chosen, fitted.params, level, point, lower, upper, how, checked)


def _intervals(
    point: np.ndarray, errors: np.ndarray, sigma: float, factors: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    tail = (1 - level) / 2
    z = float(stats.norm.ppf(1 - tail))
    lower, upper, how = np.empty_like(point), np.empty_like(point), []
    for h in range(len(point)):
        seen = errors[:, h][~np.isnan(errors[:, h])]
        if len(seen) >= MIN_ERRORS_FOR_QUANTILES:
            low, high = np.quantile(seen, [tail, 1 - tail])
            how.append("backtest_quantiles")
        else:
            half = z * sigma * math.sqrt(factors[h])
            low, high = -half, half
            how.append("normal")
        # The interval always contains the point forecast, even when a biased backtest put both
        # quantiles on one side of zero.
        lower[h], upper[h] = point[h] + min(low, 0.0), point[h] + max(high, 0.0)
    return lower, upper, tuple(how)


def period_series(
    table: pa.Table,
    *,
    at: str = "at",
    value: str | None = None,
    freq: str = "month",
    period: Period | None = None,
) -> pa.Table:
    """Totals per calendar period (UTC): rows counted, or ``value`` summed; empty periods are 0.

    MQL volume = entries into MQL per month (``at`` of the transitions); pipeline = ``amount`` of
    deals by ``created_at``; revenue = ``amount`` of won deals by ``closed_at``. ``period`` limits
    the range (periods starting inside it); otherwise it runs from the first to the last row.
    Returns ``period`` (date of the period's first day), ``value``.
    """
    if freq not in ("month", "week", "day"):
        raise ValueError(f"freq must be month, week or day, got {freq!r}")
    require_columns(table, (at, *((value,) if value else ())), "series")
    times = column_datetimes(table, at, "series")
    keep = ~np.isnat(times)
    weights = amounts(table, value, "series") if value else np.ones(table.num_rows)
    if period is not None:
        start, end = period.bounds64()
        keep &= (times >= start) & (times < end)
    rows = pa.table({"ts": pa.array(times[keep], pa.timestamp("us")), "v": pa.array(weights[keep])})
    bounds = (
        (period.start.replace(tzinfo=None), period.end.replace(tzinfo=None))
        if period is not None
        else (None, None)
    )
    sql = f"""
        WITH b AS (
            SELECT date_trunc('{freq}', coalesce(CAST($lo AS TIMESTAMP), min(ts))) AS lo,
                   date_trunc('{freq}', coalesce(CAST($hi AS TIMESTAMP) - INTERVAL 1 MICROSECOND, max(ts))) AS hi
            FROM rows
        ),
        slots AS (
            SELECT unnest(generate_series(lo, hi, INTERVAL 1 {freq})) AS slot FROM b WHERE lo IS NOT NULL
        ),
        sums AS (SELECT date_trunc('{freq}', ts) AS slot, sum(v) AS v FROM rows GROUP BY 1)
        SELECT CAST(slots.slot AS DATE) AS period, coalesce(sums.v, 0.0) AS value
        FROM slots LEFT JOIN sums USING (slot) ORDER BY period
    """  # noqa: S608 - freq is one of three fixed words checked above
    result = duckdb_query(sql, {"rows": rows}, {"lo": bounds[0], "hi": bounds[1]})
    return pa.table({"period": result.column("period"), "value": result.column("value").cast(pa.float64())})


def forecast_series(
    series: pa.Table,
    *,
    horizon: int,
    freq: str = "month",
    method: str = "auto",
    season_length: int | None = None,
    level: float = 0.8,
    min_train: int | None = None,
    floor: float | None = 0.0,
) -> Forecast:
    """:func:`forecast` on a ``period, value`` table (from :func:`period_series`), with the
    future periods labelled."""
    require_columns(series, ("period", "value"), "series")
    values = amounts(series, "value", "series")
    result = forecast(
        values,
        horizon=horizon,
        method=method,
        season_length=season_length,
        level=level,
        min_train=min_train,
        floor=floor,
    )
    last = series.column("period")[-1].as_py() if series.num_rows else None
    if isinstance(last, datetime):
        last = last.date()
    labels = _next_periods(last, horizon, freq) if isinstance(last, date) else None
    return Forecast(
        result.method,
        result.params,
        result.level,
        result.point,
        result.lower,
        result.upper,
        result.interval_method,
        result.backtest,
        labels,
    )


def _next_periods(last: date, count: int, freq: str) -> tuple[date, ...]:
    if freq == "month":
        index = last.year * 12 + last.month - 1
        return tuple(date((index + k) // 12, (index + k) % 12 + 1, 1) for k in range(1, count + 1))
    step = {"week": 7, "day": 1}.get(freq)
    if step is None:
        raise ValueError(f"freq must be month, week or day, got {freq!r}")
    return tuple(date.fromordinal(last.toordinal() + step * k) for k in range(1, count + 1))
