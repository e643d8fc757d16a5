"""Forecasts: exactness on a straight line, accuracy on a known seasonal series, MAPE and the
rolling-origin backtest by hand, clear errors for unusable series."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pytest

from closedloop.engine.forecast import backtest, forecast, forecast_series, mape, period_series
from closedloop.engine.periods import Period

TS = pa.timestamp("us", tz="UTC")


def test_mape_by_hand():
    # |100−110|/100 = 0.1, |200−180|/200 = 0.1, |50−50|/50 = 0, |80−100|/80 = 0.25 → 0.45 / 4.
    assert mape([100, 200, 50, 80], [110, 180, 50, 100]) == pytest.approx(0.1125)


def test_mape_leaves_out_zero_actuals():
    # 0 has no percentage error; |100 − 90|/100 = 0.1 is all that is left.
    assert mape([0, 100], [5, 90]) == pytest.approx(0.1)
    assert mape([0, 0], [1, 2]) is None


def test_linear_series_is_forecast_exactly_with_narrow_intervals():
    y = 10 + 3 * np.arange(20.0)
    result = forecast(y, horizon=4, method="holt")
    # The line continues: 10 + 3·20 = 70, then 73, 76, 79.
    assert result.point == pytest.approx([70, 73, 76, 79])
    assert result.upper - result.lower == pytest.approx(np.zeros(4), abs=1e-6)
    assert result.mape == pytest.approx(0.0, abs=1e-9)
    assert np.nanmax(np.abs(result.backtest_errors)) < 1e-6


def test_seasonal_series_is_forecast_closely():
    rng = np.random.default_rng(0)
    t = np.arange(60)
    truth = 100 + 2 * t + 20 * np.sin(2 * np.pi * t / 12)
    y = truth[:48] + rng.normal(0, 2, 48)
    result = forecast(y, horizon=12, season_length=12)
    assert result.method == "holt_winters"
    # Noise is ±2 on values of 100–230: the next year within 3 %, and the backtest says so too.
    assert mape(truth[48:], result.point) < 0.03
    assert result.mape is not None and result.mape < 0.05
    assert np.all(result.lower <= result.point) and np.all(result.point <= result.upper)
    assert np.all(result.upper - result.lower > 0)
    # Ignoring the season is clearly worse.
    assert mape(truth[48:], forecast(y, horizon=12, method="holt").point) > 0.05


def test_rolling_origin_backtest_by_hand():
    # Seasonal naive, season 3, on [1, 2, 3, 1, 2, 4], horizon 2, from origin 3:
    # origin 3 repeats [1, 2, 3] → forecasts 1, 2 for actuals 1, 2 → errors 0, 0;
    # origin 4 repeats [2, 3, 1] → 2, 3 for 2, 4 → errors 0, 1;
    # origin 5 repeats [3, 1, 2] → 3 for 4 → error 1 (its second step is past the data).
    # MAPE over the five forecasts: (0 + 0 + 0 + 1/4 + 1/4) / 5 = 0.1.
    result = backtest([1, 2, 3, 1, 2, 4], horizon=2, method="seasonal_naive", season_length=3, min_train=3)
    assert result.origins.tolist() == [3, 4, 5]
    np.testing.assert_array_equal(result.errors, [[0, 0], [0, 1], [1, np.nan]])
    assert result.mape == pytest.approx(0.1)
    assert result.mape_by_horizon() == pytest.approx((1 / 12, 1 / 8))


def test_forecast_reports_the_backtest_next_to_the_forecast():
    y = [1, 2, 3, 1, 2, 4]
    result = forecast(y, horizon=2, method="seasonal_naive", season_length=3, min_train=3)
    # The next season repeats the last one: 1, 2 (then 4).
    assert result.point.tolist() == [1.0, 2.0]
    assert result.mape == pytest.approx(0.1)
    assert result.backtest_errors.shape == (3, 2)
    # Three backtest errors are too few for quantiles: normal intervals, which widen with h.
    assert result.interval_method == ("normal", "normal")


def test_empty_short_and_broken_series_are_refused_clearly():
    with pytest.raises(ValueError, match="series is empty"):
        forecast([], horizon=3)
    with pytest.raises(ValueError, match="series has 3 point\\(s\\); holt needs at least 4"):
        forecast([1, 2, 3], horizon=3)
    with pytest.raises(ValueError, match="holt_winters needs at least 26"):
        forecast(np.arange(20.0), horizon=3, method="holt_winters", season_length=12)
    with pytest.raises(ValueError, match="missing or infinite values at positions \\[1\\]"):
        forecast([1, np.nan, 3, 4, 5], horizon=2)
    with pytest.raises(ValueError, match="season_length"):
        forecast(np.arange(20.0), horizon=3, method="seasonal_naive")
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        forecast(np.arange(20.0), horizon=0)
    with pytest.raises(ValueError, match="below floor"):
        forecast([5, -1, 3, 4, 5], horizon=2)


def test_floor_keeps_counts_non_negative():
    # A falling line would go below zero: 8, 6, 4, 2 → 0, −2 clipped to 0.
    result = forecast([8, 6, 4, 2], horizon=2, method="holt")
    assert result.point == pytest.approx([0.0, 0.0], abs=1e-9)
    assert result.point[1] == 0.0
    assert forecast([8, 6, 4, 2], horizon=2, method="holt", floor=None).point == pytest.approx([0, -2])


def test_period_series_counts_per_month_with_empty_months():
    table = pa.table(
        {
            "at": pa.array(
                [
                    datetime(2024, 1, 3, tzinfo=UTC),
                    datetime(2024, 1, 31, 23, tzinfo=UTC),
                    datetime(2024, 3, 1, tzinfo=UTC),
                ],
                TS,
            ),
            "amount": [10.0, 5.0, 7.0],
        }
    )
    # January 2, February none, March 1.
    counts = period_series(table)
    assert counts.to_pylist() == [
        {"period": date(2024, 1, 1), "value": 2.0},
        {"period": date(2024, 2, 1), "value": 0.0},
        {"period": date(2024, 3, 1), "value": 1.0},
    ]
    # Sums over a fixed range: January–April, April empty.
    sums = period_series(table, value="amount", period=Period(date(2024, 1, 1), date(2024, 5, 1)))
    assert sums.column("value").to_pylist() == [15.0, 0.0, 7.0, 0.0]


def test_forecast_series_labels_future_periods():
    series = pa.table(
        {
            "period": pa.array([date(2024, m, 1) for m in range(1, 13)], pa.date32()),
            "value": [float(10 + 2 * m) for m in range(12)],
        }
    )
    result = forecast_series(series, horizon=2)
    assert result.periods == (date(2025, 1, 1), date(2025, 2, 1))
    # The line 10, 12, …, 32 continues to 34, 36.
    assert result.to_table().to_pylist()[0]["forecast"] == pytest.approx(34.0)
    assert result.to_table().column_names == [
        "step",
        "period",
        "forecast",
        "lower",
        "upper",
        "interval_method",
    ]
