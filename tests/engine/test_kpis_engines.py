"""Every set-based KPI gives identical results on DuckDB, PostgreSQL and ClickHouse on generated
data (the hand-computed examples in test_kpis*.py and test_cohorts.py also run on each engine)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from closedloop.engine.cohorts import churn_rate, customers_from_transitions, retention_cohorts
from closedloop.engine.kpis import cac, cpa, sales_cycle, win_rate
from closedloop.engine.kpis_stages import stage_conversion
from closedloop.engine.periods import Period

START = np.datetime64("2024-01-01T00:00:00", "us")
TS = pa.timestamp("us", tz="UTC")
STAGES = ("visitor", "mql", "sql", "opportunity", "customer", "churned")


def _times(rng: np.random.Generator, n: int, days: int = 200) -> pa.Array:
    # Whole hours, so ties and period edges (midnight on the 1st) really occur.
    return pa.array(START + rng.integers(0, days * 24, n).astype("timedelta64[h]"), pa.timestamp("us")).cast(
        TS
    )


def generated(seed: int = 3) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    n = 600
    transitions = pa.table(
        {
            "contact_id": pa.array(rng.integers(0, 150, n)),
            "to_stage": pa.array(np.array(STAGES)[rng.integers(0, len(STAGES), n)]),
            "at": _times(rng, n),
        }
    )
    created = START + rng.integers(0, 150 * 24, 200).astype("timedelta64[h]")
    closed = created + rng.integers(0, 60 * 24, 200).astype("timedelta64[h]")
    open_deal = rng.random(200) < 0.2
    deals = pa.table(
        {
            "stage": pa.array(np.where(open_deal, "open", np.where(rng.random(200) < 0.4, "won", "lost"))),
            "amount": pa.array(np.round(rng.random(200) * 5000)),  # whole units: sums are exact
            "created_at": pa.array(created, pa.timestamp("us")).cast(TS),
            "closed_at": pa.array(closed, pa.timestamp("us"), mask=open_deal).cast(TS),
            "source": pa.array(
                np.array(["ads", "seo", None], dtype=object)[rng.integers(0, 3, 200)].tolist()
            ),
        }
    )
    day_offsets = rng.integers(0, 200, 300)
    costs = pa.table(
        {
            "date": pa.array([date(2024, 1, 1) + timedelta(days=int(d)) for d in day_offsets]),
            "amount": pa.array(rng.integers(1, 1000, 300)),
            "team": pa.array(np.array(["marketing", "sales", "product"])[rng.integers(0, 3, 300)]),
            "campaign": pa.array(np.array(["spring", "summer", "fall"])[rng.integers(0, 3, 300)]),
        }
    )
    acquisitions = pa.table(
        {
            "at": _times(rng, 120),
            "campaign": pa.array(np.array(["spring", "summer", "x"])[rng.integers(0, 3, 120)]),
        }
    )
    return {"transitions": transitions, "deals": deals, "costs": costs, "acquisitions": acquisitions}


def results(data: dict[str, pa.Table], engine: str) -> dict[str, Any]:
    march = Period.month(2024, 3)
    as_of = datetime(2024, 6, 15, tzinfo=UTC)
    customers = customers_from_transitions(data["transitions"], engine=engine)
    retention = retention_cohorts(customers, as_of=as_of, max_months=4, engine=engine)
    return {
        "stage_conversion": stage_conversion(
            data["transitions"],
            march,
            stages=STAGES[:5],
            window=timedelta(days=30),
            as_of=as_of,
            engine=engine,
        ).to_pylist(),
        "win_rate": win_rate(data["deals"], march, by="source", engine=engine).to_pylist(),
        "sales_cycle": sales_cycle(
            data["deals"], Period.month(2024, 4), by="source", engine=engine
        ).to_pylist(),
        "cpa": cpa(data["costs"], data["acquisitions"], march, by="campaign", engine=engine).to_pylist(),
        "cac": cac(data["costs"], data["transitions"], march, engine=engine),
        "customers": customers.to_pylist(),
        "churn": churn_rate(customers, Period.month(2024, 5), engine=engine),
        "retention": (
            retention.cohorts,
            retention.sizes,
            retention.active.tolist(),
            retention.retention.tolist(),
        ),
    }


def test_every_kpi_is_identical_on_all_engines(all_engines: tuple[str, ...]) -> None:
    data = generated()
    reference = results(data, all_engines[0])
    # The data is rich enough to exercise each KPI (non-trivial counts, not just empty tables).
    assert sum(r["entered"] for r in reference["stage_conversion"]) > 20
    assert reference["cac"].new_customers > 0 and len(reference["customers"]) > 50
    assert reference["churn"].active_at_start > 10
    assert sum(r["won"] for r in reference["sales_cycle"]) > 3
    for engine in all_engines[1:]:
        got = results(data, engine)
        for name, want in reference.items():
            # Amounts are whole units and counts integers, so even the sums are exact in binary
            # floating point whatever order an engine adds them in; NaN (unknown retention
            # cells) compares by repr.
            assert repr(got[name]) == repr(want), f"{engine}: {name}"
