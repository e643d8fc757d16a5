"""The KPI trends report: per calendar month (UTC) of the period, the engine's KPIs (engine.kpis,
engine.kpis_stages; definitions in docs/kpis.md), and the MQL and pipeline forecasts with their
backtested error (engine.forecast).

- Spend: campaign cost days in the month. CPA = spend / new MQLs (contacts whose *first* MQL entry
  falls in the month); CAC = spend / new customers (first customer entry in the month). Campaign
  spend is the only cost closedloop records, so CAC here leaves sales salaries out.
- Win rate: won / (won + lost) over deals closed in the month. Cycle: median days from creation to
  close of deals won in the month.
- Stage conversion: of the contacts who entered stage A in the month, the share that has reached B
  (or any later stage) since; those who have not are still counted (see in_progress).
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from closedloop.crm.lifecycle import Stage
from closedloop.engine.forecast import Forecast, forecast_series, period_series
from closedloop.engine.kpis import cac, cpa, sales_cycle, win_rate
from closedloop.engine.kpis_stages import stage_conversion
from closedloop.engine.periods import Period as EnginePeriod
from closedloop.insights import datasets
from closedloop.insights.funnel_report import stage_steps
from closedloop.insights.report_scope import ReportScope, month_starts, only_contacts

FORECAST_WEEKS = 4
WORKERS = 4


@dataclass(frozen=True)
class KpiMonth:
    month: date
    spend: float
    mqls: int
    cpa: float | None
    new_customers: int
    cac: float | None
    won: int
    lost: int
    win_rate: float | None
    won_amount: float
    cycle_median_days: float | None
    conversion: dict[str, float | None]  # "mql>sql" → rate of the month's entrants
    in_progress: dict[str, int]


@dataclass(frozen=True)
class ForecastView:
    name: str
    history: list[tuple[date, float]]
    forecast: Forecast | None
    problem: str | None  # why there is no forecast (too little history)

    @property
    def level_pct(self) -> int | None:
        return None if self.forecast is None else round(100 * self.forecast.level)

    @property
    def element_id(self) -> str:
        """The id of the page element that carries the chart's data."""
        return "forecast-" + "".join(ch if ch.isalnum() else "-" for ch in self.name.lower())

    @property
    def mape_pct(self) -> float | None:
        if self.forecast is None or self.forecast.mape is None:
            return None
        return round(100 * self.forecast.mape, 1)

    def chart(self) -> dict[str, object]:
        labels = [d.isoformat() for d, _ in self.history]
        values: list[float | None] = [v for _, v in self.history]
        point: list[float | None] = [None] * len(values)
        lower: list[float | None] = [None] * len(values)
        upper: list[float | None] = [None] * len(values)
        if self.forecast is not None and self.forecast.periods is not None:
            if point:
                point[-1] = values[-1]  # join the forecast line to the last actual point
            labels += [d.isoformat() for d in self.forecast.periods]
            values += [None] * len(self.forecast.periods)
            point += [round(float(v), 1) for v in self.forecast.point]
            lower += [round(float(v), 1) for v in self.forecast.lower]
            upper += [round(float(v), 1) for v in self.forecast.upper]
        return {"labels": labels, "actual": values, "forecast": point, "lower": lower, "upper": upper}


@dataclass(frozen=True)
class KpiReport:
    months: tuple[KpiMonth, ...]
    pairs: tuple[tuple[str, str], ...]
    forecasts: tuple[ForecastView, ...]

    def pair_keys(self) -> list[str]:
        return [f"{a}>{b}" for a, b in self.pairs]

    @staticmethod
    def pair_label(key: str) -> str:
        labels = dict(Stage.choices)
        a, _, b = key.partition(">")
        return f"{labels.get(a, a)} → {labels.get(b, b)}"

    def column_labels(self) -> list[str]:
        """Human headings for the table, in csv_header() order."""
        return [
            "Month",
            "Spend",
            "New MQLs",
            "CPA",
            "New customers",
            "CAC",
            "Won",
            "Lost",
            "Win rate %",
            "Won amount",
            "Median cycle (days)",
            *(f"{self.pair_label(k)} %" for k in self.pair_keys()),
        ]

    def chart(self) -> dict[str, object]:
        return {
            "labels": [m.month.strftime("%Y-%m") for m in self.months],
            "cpa": [_round(m.cpa) for m in self.months],
            "cac": [_round(m.cac) for m in self.months],
            "win_rate": [_pct(m.win_rate) for m in self.months],
            "cycle": [_round(m.cycle_median_days) for m in self.months],
            "conversion": [
                {
                    "label": key.replace(">", " → ").upper(),
                    "values": [_pct(m.conversion.get(key)) for m in self.months],
                }
                for key in self.pair_keys()
            ],
        }

    def csv_header(self) -> list[str]:
        return [
            "month",
            "spend",
            "new_mqls",
            "cpa",
            "new_customers",
            "cac",
            "won",
            "lost",
            "win_rate_pct",
            "won_amount",
            "cycle_median_days",
            *(f"conversion_{k.replace('>', '_to_')}_pct" for k in self.pair_keys()),
        ]

    def csv_rows(self) -> list[list[object]]:
        return [
            [
                m.month.strftime("%Y-%m"),
                round(m.spend, 2),
                m.mqls,
                _round(m.cpa),
                m.new_customers,
                _round(m.cac),
                m.won,
                m.lost,
                _pct(m.win_rate),
                round(m.won_amount, 2),
                _round(m.cycle_median_days),
                *(_pct(m.conversion.get(k)) for k in self.pair_keys()),
            ]
            for m in self.months
        ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def first_entries(transitions: pa.Table, stage: str) -> pa.Table:
    """contact_id, at: each contact's first entry into `stage`."""
    hits = transitions.filter(pc.equal(transitions["to_stage"], stage))
    first = hits.group_by("contact_id", use_threads=False).aggregate([("at", "min")])
    return pa.table({"contact_id": first["contact_id"], "at": first["at_min"]})


def kpi_report(*, scope: ReportScope) -> KpiReport:
    ids = scope.contact_ids(datasets.contacts_table())
    transitions = only_contacts(datasets.transitions_table(), ids)
    deals = only_contacts(datasets.deals_table(), ids)
    costs = scope.costs(datasets.costs_table(), datasets.campaigns_table())
    stages = stage_steps()
    pairs = tuple(itertools.pairwise(stages))
    as_of = scope.as_of()
    mqls = first_entries(transitions, Stage.MQL)
    periods = [
        (start, EnginePeriod.month(start.year, start.month))
        for start in month_starts(scope.period.start, scope.period.end)
    ]
    periods = [(start, period) for start, period in periods if period.start <= as_of]

    def month(item: tuple[date, EnginePeriod]) -> KpiMonth:
        start, period = item
        spend_row = cpa(costs, mqls, period).to_pylist()[0]
        acquisition = cac(costs, transitions, period, customer_stage=Stage.CUSTOMER)
        wins = win_rate(deals, period).to_pylist()[0]
        cycle = sales_cycle(deals, period).to_pylist()[0]
        conv = stage_conversion(transitions, period, stages=stages, as_of=as_of).to_pylist()
        return KpiMonth(
            month=start,
            spend=spend_row["cost"],
            mqls=spend_row["acquisitions"],
            cpa=spend_row["cpa"],
            new_customers=acquisition.new_customers,
            cac=acquisition.cac,
            won=wins["won"],
            lost=wins["lost"],
            win_rate=wins["win_rate"],
            won_amount=wins["won_amount"],
            cycle_median_days=cycle["median_days"],
            conversion={f"{r['from_stage']}>{r['to_stage']}": r["conversion_rate"] for r in conv},
            in_progress={f"{r['from_stage']}>{r['to_stage']}": r["in_progress"] for r in conv},
        )

    pipeline = pa.table({"at": deals["created_at"], "amount": deals["amount"]})
    # Months and forecasts are independent engine calls on the same Arrow tables (no database
    # access), and DuckDB and numpy release the GIL: run them side by side.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        mql_forecast = pool.submit(weekly_forecast, "New MQLs per week", mqls, None, as_of)
        pipeline_forecast = pool.submit(
            weekly_forecast, "Pipeline created per week", pipeline, "amount", as_of
        )
        months = list(pool.map(month, periods))
        forecasts = (mql_forecast.result(), pipeline_forecast.result())
    return KpiReport(months=tuple(months), pairs=pairs, forecasts=forecasts)


def weekly_forecast(name: str, table: pa.Table, value: str | None, as_of: datetime) -> ForecastView:
    """Weekly totals from the first row to the last complete week before `as_of`, and the next
    FORECAST_WEEKS forecast by the engine with its rolling-origin backtest."""
    week_start = (as_of.astimezone(UTC) - timedelta(days=as_of.weekday())).date()
    end = datetime(week_start.year, week_start.month, week_start.day, tzinfo=UTC)
    times = table["at"]
    past = table.filter(pc.fill_null(pc.less(times, pa.scalar(end, times.type)), False))
    if past.num_rows == 0:
        return ForecastView(name, [], None, "no history yet")
    first = pc.min(past["at"]).as_py()
    begin = first.astimezone(UTC).date()
    begin = begin - timedelta(days=begin.weekday())
    if (week_start - begin).days < 7:
        return ForecastView(name, [], None, "less than one complete week of history")
    series = period_series(
        past,
        value=value,
        freq="week",
        period=EnginePeriod(datetime(begin.year, begin.month, begin.day, tzinfo=UTC), end),
    )
    history = list(zip(series["period"].to_pylist(), series["value"].to_pylist(), strict=True))
    try:
        result = forecast_series(series, horizon=FORECAST_WEEKS, freq="week")
    except ValueError as err:
        return ForecastView(name, history, None, str(err))
    return ForecastView(name, history, result, None)
