"""`closedloop funnel` (run_funnel_cli): JSON out, and errors that name the problem."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from closedloop.engine.cli_funnel import run_funnel_cli, window_parse

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def events_file(tmp_path: Path, make_events: Any) -> Path:
    rows = [
        ("p1", "visit", T0, "ads"),
        ("p1", "signup", T0 + timedelta(days=2), "ads"),
        ("p1", "buy", T0 + timedelta(days=3), "ads"),  # converts in 3 days
        ("p2", "visit", T0, "seo"),
        ("p2", "signup", T0 + timedelta(days=40), "seo"),  # outside a 30-day window
        ("p3", "visit", T0 + timedelta(days=20), "seo"),  # window still open on day 30
    ]
    path = tmp_path / "events.parquet"
    table = make_events(rows, extra=("utm_source",))
    pq.write_table(table.append_column("unused", pa.array([1] * len(rows))), path)
    return path


def test_prints_the_funnel_as_json(events_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--events", str(events_file), "--steps", "visit, signup,buy", "--window", "30d"]
    argv += ["--breakdown", "utm_source", "--as-of", "2024-03-31T00:00:00Z"]
    assert run_funnel_cli(argv) == 0
    out = json.loads(capsys.readouterr().out)
    # as of day 30: p1 converted; p2's window closed at step 1; p3's is open (in progress).
    assert [(s["reached"], s["in_progress"], s["dropped"]) for s in out["steps"]] == [
        (3, 1, 1),
        (1, 0, 0),
        (1, 0, 0),
    ]
    assert out["steps"][1]["conversion_from_previous"] == pytest.approx(1 / 3)
    assert out["time_to_convert"]["percentiles"]["p50"] == 3 * 86400
    assert {b["value"]: b["steps"][0]["reached"] for b in out["breakdowns"]} == {"seo": 2, "ads": 1}
    assert out["window_seconds"] == 30 * 86400 and out["engine"] == "duckdb"


def test_as_of_without_offset_is_utc(events_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--events", str(events_file), "--steps", "visit,signup", "--window", "12h"]
    assert run_funnel_cli([*argv, "--as-of", "2024-03-02T00:00:00"]) == 0
    assert json.loads(capsys.readouterr().out)["as_of"] == "2024-03-02T00:00:00+00:00"


def test_runs_on_every_engine(
    events_file: Path, capsys: pytest.CaptureFixture[str], funnel_engine: str
) -> None:
    argv = ["--events", str(events_file), "--steps", "visit,signup", "--window", "90m"]
    assert run_funnel_cli([*argv, "--as-of", "2025-01-01", "--engine", funnel_engine]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["engine"] == funnel_engine and out["steps"][0]["reached"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "30x"], "bad window '30x'"),
        (["--window", "0d"], "bad window '0d'"),
        (["--breakdown", "campaign"], "missing column(s) campaign"),
        (["--steps", "visit,,buy"], "bad --steps"),
        (["--as-of", "yesterday"], "bad --as-of 'yesterday'"),
    ],
)
def test_errors_name_the_problem(
    events_file: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    base = {"--events": str(events_file), "--steps": "visit,signup", "--window": "30d"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [part for pair in base.items() for part in pair]
    assert run_funnel_cli(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("closedloop funnel: error:")


def test_missing_file_and_missing_required_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_funnel_cli(["--events", str(tmp_path / "nope.parquet"), "--steps", "a", "--window", "1d"]) == 2
    assert "events file not found" in capsys.readouterr().err
    path = tmp_path / "no_ts.parquet"
    pq.write_table(pa.table({"person_id": ["p"], "event": ["a"]}), path)
    assert run_funnel_cli(["--events", str(path), "--steps", "a", "--window", "1d"]) == 2
    assert "missing column(s) ts" in capsys.readouterr().err


def test_window_units() -> None:
    assert window_parse("30d") == timedelta(days=30)
    assert window_parse("12h") == timedelta(hours=12)
    assert window_parse("90m") == timedelta(minutes=90)
