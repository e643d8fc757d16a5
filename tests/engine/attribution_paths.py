"""Small builders shared by the attribution, Markov and Shapley tests."""

import pyarrow as pa

from closedloop.engine.journeys import Paths, paths_from_channelattribution


def paths_of(rows) -> Paths:
    """rows: (path, conversions, revenue, nulls) in channelattribution's format."""
    path, conv, rev, null = zip(*rows, strict=True)
    return paths_from_channelattribution(
        pa.table(
            {
                "path": list(path),
                "total_conversions": [float(c) for c in conv],
                "total_conversion_value": [float(r) for r in rev],
                "total_null": [float(n) for n in null],
            }
        )
    )


def by_key(table: pa.Table, measure: str) -> dict:
    """{key: value} of one result column."""
    return dict(zip(table.column("key").to_pylist(), table.column(measure).to_pylist(), strict=True))
