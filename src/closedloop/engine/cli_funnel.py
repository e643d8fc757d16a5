"""`closedloop funnel`: run a funnel over a Parquet file of events and print the result as JSON.

No database and no Django: the file is read with pyarrow and handed to the engine.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from closedloop.engine.backends import BackendError
from closedloop.engine.dialects import Engine
from closedloop.engine.funnel import FunnelError, FunnelQuery, funnel_events_read, funnel_run

_WINDOW = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNIT = {"d": "days", "h": "hours", "m": "minutes"}


def window_parse(text: str) -> timedelta:
    """'30d', '12h', '90m' → timedelta; anything else is refused with an example."""
    match = _WINDOW.match(text)
    if not match or int(match.group(1)) == 0:
        raise FunnelError(
            f"bad window {text!r}: expected a positive whole number followed by d, h or m "
            "(e.g. 30d, 12h, 90m)"
        )
    return timedelta(**{_UNIT[match.group(2)]: int(match.group(1))})


def as_of_parse(text: str) -> datetime:
    """ISO 8601; a value without an offset is read as UTC (documented in docs/funnels.md)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise FunnelError(f"bad --as-of {text!r}: expected ISO 8601, e.g. 2024-05-01T00:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run_funnel_cli(argv: Sequence[str] | None = None) -> int:
    """Entry point for `closedloop funnel ...`; returns the process exit status."""
    parser = argparse.ArgumentParser(
        prog="closedloop funnel",
        description="Ordered funnel over a Parquet file with columns person_id, event, ts.",
    )
    parser.add_argument("--events", required=True, help="Parquet file: person_id, event, ts (+ breakdown)")
    parser.add_argument("--steps", required=True, help="comma-separated event names, in order")
    parser.add_argument(
        "--window", required=True, help="conversion window from the first step: 30d, 12h, 90m"
    )
    parser.add_argument("--breakdown", help="column of the first-step event to split the funnel by")
    parser.add_argument("--exclude", help="exclusion event: people who do it mid-journey are left out")
    parser.add_argument("--engine", default=Engine.DUCKDB.value, choices=[e.value for e in Engine])
    parser.add_argument("--as-of", help="ISO timestamp; windows open at this time count as in progress")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    try:
        steps = tuple(s.strip() for s in args.steps.split(","))
        if not all(steps):
            raise FunnelError(f"bad --steps {args.steps!r}: expected event names separated by commas")
        query = FunnelQuery(
            steps=steps,
            window=window_parse(args.window),
            breakdown=args.breakdown,
            exclusion=args.exclude,
            as_of=as_of_parse(args.as_of) if args.as_of else None,
        )
        # Only the step events' rows and the needed columns are read (see funnel_events_read).
        events = funnel_events_read(args.events, query)
        result = funnel_run(events, query, engine=args.engine)
    except FunnelError as err:
        print(f"closedloop funnel: error: {err}", file=sys.stderr)
        return 2
    except BackendError as err:
        print(f"closedloop funnel: engine failed: {err}", file=sys.stderr)
        return 1
    out = {"engine": args.engine, "window": args.window, **result.to_dict()}
    print(json.dumps(out, indent=2, default=str))
    return 0
