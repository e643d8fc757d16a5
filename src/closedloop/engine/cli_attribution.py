"""``closedloop attribution``: attribute a channelattribution-format CSV and print JSON per channel.

    closedloop attribution --paths FILE.csv --model markov --order 1

The file needs ``path`` ("a > b > c") and ``total_conversions``; ``total_conversion_value`` and
``total_null`` are optional (0 when absent). Errors name the column, row or option at fault and
exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

import pyarrow as pa
import pyarrow.csv as pa_csv

from closedloop.engine.attribution import MODELS, attribute, attribution_compare
from closedloop.engine.journeys import PATH_SEPARATOR, paths_from_channelattribution
from closedloop.engine.markov import markov_attribution
from closedloop.engine.shapley import MAX_CHANNELS, shapley_player_count

PATH_COLUMN = "path"
CONVERSIONS_COLUMN = "total_conversions"
REVENUE_COLUMN = "total_conversion_value"
NULL_COLUMN = "total_null"
# The path format has no timestamps, so age is counted in touches before the last one; with a
# half-life of one touch each earlier touch counts half as much as the one after it.
HALF_LIFE_TOUCHES = 1.0


class CliError(Exception):
    """A user mistake: reported in one line, never as a traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(message)


def run_attribution_cli(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run ``closedloop attribution`` with ``argv`` (the arguments after ``attribution``).

    Prints the JSON result to ``stdout`` and returns 0, or prints ``error: ...`` to stderr and
    returns 2.
    """
    out = stdout or sys.stdout
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        result = _run(args)
    except (CliError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    json.dump(result, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return 0


def _parser() -> _Parser:
    parser = _Parser(prog="closedloop attribution", description="Multi-touch attribution of customer paths.")
    parser.add_argument("--paths", required=True, help="CSV in channelattribution's path format")
    parser.add_argument("--model", required=True, choices=[*MODELS, "all"], help="attribution model")
    parser.add_argument("--order", type=int, default=1, help="Markov order (states = last N channels)")
    parser.add_argument(
        "--half-life", type=float, default=HALF_LIFE_TOUCHES, help="time decay half-life, in touches"
    )
    parser.add_argument("--separator", default=PATH_SEPARATOR, help="channel separator in paths")
    return parser


def _run(args: argparse.Namespace) -> dict[str, object]:
    if args.order < 1:
        raise CliError(f"--order must be ≥ 1, got {args.order}")
    if not args.half_life > 0:
        raise CliError(f"--half-life must be > 0, got {args.half_life}")
    paths = paths_from_channelattribution(
        _read_csv(args.paths),
        path=PATH_COLUMN,
        conversions=CONVERSIONS_COLUMN,
        revenue=REVENUE_COLUMN,
        nulls=NULL_COLUMN,
        separator=args.separator,
    )
    if args.model == "all":
        # all skips Shapley (and says so) rather than failing the other seven models.
        models = [m for m in MODELS if m != "shapley" or shapley_player_count(paths) <= MAX_CHANNELS]
        per_measure = {
            measure: attribution_compare(
                paths, models=models, measure=measure, half_life=args.half_life, order=args.order
            ).to_pylist()
            for measure in ("conversions", "revenue")
        }
        channels = [
            {
                "channel": conv["key"],
                "conversions": {m: conv[m] for m in models},
                "revenue": {m: rev[m] for m in models},
            }
            for conv, rev in zip(per_measure["conversions"], per_measure["revenue"], strict=True)
        ]
        skipped = [m for m in MODELS if m not in models]
        return {
            "model": "all",
            "models": models,
            "skipped": skipped,
            "order": args.order,
            "channels": channels,
        }
    if args.model == "markov":
        table = markov_attribution(paths, order=args.order)
    else:
        table = attribute(paths, args.model, half_life=args.half_life, order=args.order)
    rows = [{"channel": row.pop("key"), **row} for row in table.to_pylist()]
    return {"model": args.model, "order": args.order, "channels": rows}


def _read_csv(filename: str) -> pa.Table:
    # The path column is forced to text (a file of one-channel paths named "1", "2" is still
    # paths); numbers are checked by paths_from_channelattribution, which names the bad row.
    options = pa_csv.ConvertOptions(column_types={PATH_COLUMN: pa.string()})
    try:
        table = pa_csv.read_csv(filename, convert_options=options)
    except FileNotFoundError:
        raise CliError(f"--paths: no such file: {filename}") from None
    except (pa.ArrowInvalid, OSError) as error:
        raise CliError(f"--paths: cannot read {filename} as CSV: {error}") from None
    missing = [c for c in (PATH_COLUMN, CONVERSIONS_COLUMN) if c not in table.column_names]
    if missing:
        raise CliError(
            f"--paths: {filename} is missing column '{missing[0]}' "
            f"(needs {PATH_COLUMN}, {CONVERSIONS_COLUMN}; optional {REVENUE_COLUMN}, {NULL_COLUMN})"
        )
    return table
