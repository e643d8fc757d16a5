"""Funnel semantics on small examples whose expected numbers are worked out by hand below.

Every example runs on DuckDB, PostgreSQL and ClickHouse (the `funnel_engine` fixture).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from closedloop.engine.funnel import FunnelError, FunnelQuery, FunnelResult, funnel_run

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
FAR = T0 + timedelta(days=365)  # an as_of long after every window has closed


def at(**kw: float) -> datetime:
    return T0 + timedelta(**kw)


def run(
    make_events: Any,
    rows: list[tuple[Any, ...]],
    steps: tuple[str, ...],
    window: timedelta,
    engine: str,
    *,
    extra: tuple[str, ...] = (),
    **kw: Any,
) -> FunnelResult:
    kw.setdefault("as_of", FAR)
    query = FunnelQuery(steps=steps, window=window, **kw)
    return funnel_run(make_events(rows, extra=extra), query, engine=engine)


def table(result_steps: Any) -> list[tuple[int, int, int]]:
    """(reached, in_progress, dropped) per step."""
    return [(s.reached, s.in_progress, s.dropped) for s in result_steps]


def test_three_step_funnel_matches_hand_count(make_events: Any, funnel_engine: str) -> None:
    d = timedelta(days=1)
    rows = [
        ("alice", "signup", T0),
        ("alice", "demo", T0 + d),
        ("alice", "purchase", T0 + 2 * d),  # converts in 2 days = 172800 s
        ("bob", "signup", T0),
        ("bob", "demo", T0 + 3 * d),  # reaches step 2
        ("carol", "signup", T0),
        ("carol", "purchase", T0 + d),  # purchase without a demo: still step 1
        ("dave", "demo", T0),
        ("dave", "purchase", T0 + d),  # never signed up: not in the funnel at all
        ("erin", "signup", T0),
        ("erin", "demo", T0 + 8 * d),  # demo after the 7-day window: step 1
        ("frank", "signup", T0),
        ("frank", "demo", at(hours=1)),
        ("frank", "purchase", at(days=6, hours=23)),  # converts in 6d23h = 601200 s
        ("frank", "pageview", at(hours=2)),  # not a step: ignored
    ]
    r = run(make_events, rows, ("signup", "demo", "purchase"), timedelta(days=7), funnel_engine)

    # step 1: alice bob carol erin frank; step 2: alice bob frank; step 3: alice frank.
    # Dropped at 1: carol, erin; dropped at 2: bob. Nobody in progress (as_of is a year later).
    assert table(r.steps) == [(5, 0, 2), (3, 0, 1), (2, 0, 0)]
    assert [s.name for s in r.steps] == ["signup", "demo", "purchase"]
    assert [s.index for s in r.steps] == [1, 2, 3]
    assert [s.conversion_from_previous for s in r.steps] == [1.0, pytest.approx(3 / 5), pytest.approx(2 / 3)]
    assert [s.conversion_from_first for s in r.steps] == [1.0, pytest.approx(3 / 5), pytest.approx(2 / 5)]

    ttc = r.time_to_convert
    assert ttc.converted == 2
    assert ttc.min_seconds == 172800 and ttc.max_seconds == 601200
    assert ttc.mean_seconds == pytest.approx(387000)  # (172800 + 601200) / 2
    assert ttc.percentiles["p50"] == pytest.approx(387000)
    # p90 on two values: rank 0.9 * (2 - 1) = 0.9 → 172800 + 0.9 * (601200 - 172800) = 558360
    assert ttc.percentiles["p90"] == pytest.approx(558360)
    # 10 bins of 60120 s over [0, 601200]: 172800 → floor(2.87) = bin 2; the maximum → last bin
    assert [b.count for b in ttc.histogram] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert ttc.histogram[2].lower_seconds == pytest.approx(120240)
    assert r.excluded == 0 and r.breakdowns == ()


def test_events_at_the_same_timestamp_are_not_in_order(make_events: Any, funnel_engine: str) -> None:
    rows = [
        ("p1", "a", T0),
        ("p1", "b", T0),  # same instant as a: not "after" it
        ("p1", "c", at(minutes=1)),  # c needs b first → p1 stays at step 1
        ("p2", "a", T0),
        ("p2", "b", T0),  # not counted…
        ("p2", "b", at(minutes=1)),  # …but this b is strictly after a
        ("p2", "c", at(minutes=2)),
    ]
    r = run(make_events, rows, ("a", "b", "c"), timedelta(hours=1), funnel_engine)
    assert table(r.steps) == [(2, 0, 1), (1, 0, 0), (1, 0, 0)]


def test_later_first_step_that_goes_further_is_counted(make_events: Any, funnel_engine: str) -> None:
    rows = [
        # p: the first signup (ads) only reaches step 1 (its demo is 2 h later, window 1 h);
        # the second signup (seo, 90 min) reaches demo at 120 min and purchase at 130 min.
        ("p", "signup", T0, "ads"),
        ("p", "signup", at(minutes=90), "seo"),
        ("p", "demo", at(minutes=120), "ads"),
        ("p", "purchase", at(minutes=130), "ads"),
        # q: both signups reach step 2; the tie goes to the earliest signup (ads).
        ("q", "signup", T0, "ads"),
        ("q", "demo", at(minutes=10), "seo"),
        ("q", "signup", at(minutes=20), "seo"),
        ("q", "demo", at(minutes=30), "seo"),
    ]
    r = run(
        make_events,
        rows,
        ("signup", "demo", "purchase"),
        timedelta(hours=1),
        funnel_engine,
        extra=("source",),
        breakdown="source",
    )
    assert table(r.steps) == [(2, 0, 0), (2, 0, 1), (1, 0, 0)]
    by_value = {b.value: table(b.steps) for b in r.breakdowns}
    assert by_value == {"seo": [(1, 0, 0), (1, 0, 0), (1, 0, 0)], "ads": [(1, 0, 0), (1, 0, 1), (0, 0, 0)]}
    # Time to convert runs from the signup that started the counted journey: 130 - 90 min.
    assert r.time_to_convert.percentiles["p50"] == pytest.approx(40 * 60)


def test_simultaneous_first_steps_take_the_first_rows_breakdown(make_events: Any, funnel_engine: str) -> None:
    rows = [
        ("p", "a", at(minutes=5), "late"),  # a later journey, and it reaches nothing more
        ("p", "a", T0, "seo"),  # two first steps at the same instant: one journey …
        ("p", "a", T0, "ads"),  # … whose breakdown is the row that came first in the input
        ("p", "b", at(minutes=1), "x"),
    ]
    kw: dict[str, Any] = {"extra": ("src",), "breakdown": "src"}
    r = run(make_events, rows, ("a", "b"), timedelta(hours=1), funnel_engine, **kw)
    assert [(b.value, table(b.steps)) for b in r.breakdowns] == [("seo", [(1, 0, 0), (1, 0, 0)])]
    flipped = [rows[0], rows[2], rows[1], rows[3]]
    r = run(make_events, flipped, ("a", "b"), timedelta(hours=1), funnel_engine, **kw)
    assert [b.value for b in r.breakdowns] == ["ads"]


def test_window_end_is_inclusive_and_measured_from_step_one(make_events: Any, funnel_engine: str) -> None:
    rows = [
        ("u1", "a", T0),
        ("u1", "b", at(hours=1)),  # exactly at the window's end: counts
        ("u2", "a", T0),
        ("u2", "b", at(hours=1, microseconds=1)),  # one microsecond too late
        ("u3", "a", T0),
        ("u3", "b", at(minutes=50)),
        ("u3", "c", at(minutes=61)),  # 11 min after b, but 61 min after a: outside
    ]
    r = run(make_events, rows, ("a", "b", "c"), timedelta(hours=1), funnel_engine)
    # step 1: u1 u2 u3; step 2: u1 u3; step 3: nobody.
    assert table(r.steps) == [(3, 0, 1), (2, 0, 2), (0, 0, 0)]
    assert r.steps[2].conversion_from_previous == 0.0
    assert r.time_to_convert.converted == 0 and r.time_to_convert.percentiles == {}


def test_people_inside_their_window_are_in_progress_not_dropped(make_events: Any, funnel_engine: str) -> None:
    d = timedelta(days=1)
    as_of = T0 + 10 * d
    rows = [
        ("p1", "a", T0 + 5 * d),  # window open until day 12 → in progress at step 1
        ("p2", "a", T0),
        ("p2", "b", T0 + d),  # window closed on day 7 → dropped at step 2
        ("p3", "a", T0 + 4 * d),
        ("p3", "b", T0 + 5 * d),  # window open until day 11 → in progress at step 2
        ("p4", "a", T0 + 9 * d),
        ("p4", "b", T0 + 11 * d),  # after as_of: not seen yet → in progress at step 1
        ("p5", "a", T0),  # closed window…
        ("p5", "a", T0 + 8 * d),  # …but this one is open → in progress at step 1
        ("p6", "a", T0 + d),
        ("p6", "b", T0 + 2 * d),
        ("p6", "c", T0 + 3 * d),  # converted: neither in progress nor dropped
        ("p7", "a", T0 + 3 * d),  # window ends exactly at as_of: closed → dropped
    ]
    r = run(make_events, rows, ("a", "b", "c"), 7 * d, funnel_engine, as_of=as_of)
    # furthest = 1: p1 p4 p5 (open) and p7 (closed); = 2: p3 (open), p2 (closed); = 3: p6.
    assert table(r.steps) == [(7, 3, 1), (3, 1, 1), (1, 0, 0)]


def test_exclusion_between_first_and_last_reached_step(make_events: Any, funnel_engine: str) -> None:
    rows = [
        ("e1", "a", T0),
        ("e1", "x", at(minutes=1)),
        ("e1", "b", at(minutes=2)),  # x inside [a, b] → excluded
        ("e2", "x", at(minutes=-1)),
        ("e2", "a", T0),
        ("e2", "b", at(minutes=1)),  # x before the first step → kept, reaches 2
        ("e3", "a", T0),
        ("e3", "b", at(minutes=1)),
        ("e3", "x", at(minutes=2)),  # x after the last reached step → kept, reaches 2
        ("e4", "a", T0),
        ("e4", "x", T0),  # same instant as the first step: inclusive → excluded
        ("e5", "a", T0),
        ("e5", "b", at(minutes=1)),
        ("e5", "c", at(minutes=2)),
        ("e5", "x", at(minutes=2)),  # same instant as the last step → excluded
        ("e6", "a", T0),
        ("e6", "b", at(minutes=1)),
        ("e6", "x", at(minutes=2)),
        ("e6", "c", at(minutes=3)),  # x between b and c → excluded
    ]
    r = run(make_events, rows, ("a", "b", "c"), timedelta(days=1), funnel_engine, exclusion="x")
    assert r.excluded == 4  # e1 e4 e5 e6
    assert table(r.steps) == [(2, 0, 0), (2, 0, 2), (0, 0, 0)]


def test_dst_change_does_not_stretch_a_one_day_window(make_events: Any, funnel_engine: str) -> None:
    ny = pa.timestamp("us", tz="America/New_York")
    # 2024-03-10 is the US spring-forward day. 12:00 EST → next day 12:30 EDT is 24.5 h on the
    # wall clock but 23.5 h of elapsed time, so it is inside a 1-day window.
    start = datetime(2024, 3, 9, 17, 0, tzinfo=UTC)  # 12:00 EST
    rows = [
        ("p1", "a", start),
        ("p1", "b", start + timedelta(hours=23, minutes=30)),
        ("p2", "a", start),
        ("p2", "b", start + timedelta(hours=24, minutes=1)),  # 24 h 1 min elapsed: outside
    ]
    query = FunnelQuery(steps=("a", "b"), window=timedelta(days=1), as_of=FAR)
    in_ny = make_events(rows).cast(
        pa.schema([("person_id", pa.string()), ("event", pa.string()), ("ts", ny)])
    )
    assert in_ny.schema.field("ts").type.tz == "America/New_York"
    r = funnel_run(in_ny, query, engine=funnel_engine)
    assert table(r.steps) == [(2, 0, 1), (1, 0, 0)]
    assert r.time_to_convert.percentiles["p50"] == pytest.approx(23.5 * 3600)


def test_same_instants_in_any_time_zone_give_the_same_funnel(make_events: Any) -> None:
    rows = [("p", "a", T0), ("p", "b", at(minutes=5)), ("q", "a", at(minutes=1))]
    query = FunnelQuery(steps=("a", "b"), window=timedelta(minutes=10), as_of=FAR)
    utc = make_events(rows)
    results = []
    for tz in ("UTC", "Asia/Kolkata", "Pacific/Chatham", "America/Los_Angeles"):
        typ = pa.timestamp("us", tz=tz)
        t = utc.set_column(2, "ts", utc.column("ts").cast(typ))
        results.append(funnel_run(t, query).to_dict())
    assert all(r == results[0] for r in results)
    assert [s["reached"] for s in results[0]["steps"]] == [2, 1]


def test_twenty_steps(make_events: Any, funnel_engine: str) -> None:
    steps = tuple(f"s{i}" for i in range(1, 21))
    rows = []
    rows += [("all", steps[i], at(minutes=i)) for i in range(20)]  # every step in order
    rows += [("half", steps[i], at(minutes=i)) for i in range(10)]  # s1..s10 …
    rows += [("half", "s12", at(minutes=11))]  # … then skips s11: stuck at 10
    rows += [("reverse", steps[i], at(minutes=20 - i)) for i in range(20)]  # s1 last → step 1
    rows += [("instant", s, T0) for s in steps]  # all at once: only step 1
    r = run(make_events, rows, steps, timedelta(days=1), funnel_engine)
    reached = [s.reached for s in r.steps]
    assert reached == [4] + [2] * 9 + [1] * 10
    assert r.steps[0].dropped == 2 and r.steps[9].dropped == 1 and r.steps[19].dropped == 0
    assert r.time_to_convert.percentiles["p50"] == pytest.approx(19 * 60)


def test_time_to_convert_percentiles_and_histogram(make_events: Any, funnel_engine: str) -> None:
    durations = [60, 120, 180, 240, 600]  # seconds
    rows = []
    for i, sec in enumerate(durations):
        rows += [(f"p{i}", "a", T0), (f"p{i}", "b", at(seconds=sec))]
    r = run(make_events, rows, ("a", "b"), timedelta(hours=1), funnel_engine)
    ttc = r.time_to_convert
    assert ttc.converted == 5
    assert ttc.mean_seconds == pytest.approx(240)  # 1200 / 5
    # Linear interpolation at rank p/100 * (n - 1) over the sorted values:
    # p50 → rank 2 → 180; p75 → rank 3 → 240; p90 → rank 3.6 → 240 + 0.6 * 360 = 456;
    # p95 → rank 3.8 → 528; p99 → rank 3.96 → 585.6.
    assert ttc.percentiles == pytest.approx({"p50": 180, "p75": 240, "p90": 456, "p95": 528, "p99": 585.6})
    # 10 bins of 60 s: bin = floor(v / 60), the maximum (600) in the last bin.
    assert [b.count for b in ttc.histogram] == [0, 1, 1, 1, 1, 0, 0, 0, 0, 1]
    assert (ttc.histogram[0].lower_seconds, ttc.histogram[-1].upper_seconds) == (0.0, 600.0)


def test_an_event_repeated_in_the_steps(make_events: Any, funnel_engine: str) -> None:
    rows = [
        ("p1", "view", T0),
        ("p1", "view", at(minutes=1)),
        ("p1", "buy", at(minutes=2)),  # view → view → buy
        ("p2", "view", T0),
        ("p2", "buy", at(minutes=1)),  # one view only: step 1
        ("p3", "view", T0),
        ("p3", "view", T0),  # two views at the same instant are not two steps
        ("p3", "buy", at(minutes=1)),
    ]
    r = run(make_events, rows, ("view", "view", "buy"), timedelta(hours=1), funnel_engine)
    assert table(r.steps) == [(3, 0, 2), (1, 0, 0), (1, 0, 0)]


def test_single_step_and_empty_funnels(make_events: Any, funnel_engine: str) -> None:
    rows = [("p1", "a", T0), ("p2", "a", T0), ("p2", "a", at(minutes=1)), ("p3", "b", T0)]
    one = run(make_events, rows, ("a",), timedelta(hours=1), funnel_engine)
    assert table(one.steps) == [(2, 0, 0)]
    assert one.time_to_convert.converted == 2 and one.time_to_convert.max_seconds == 0
    assert [(b.lower_seconds, b.upper_seconds, b.count) for b in one.time_to_convert.histogram] == [(0, 0, 2)]

    none = run(make_events, rows, ("zzz", "a"), timedelta(hours=1), funnel_engine, breakdown=None)
    assert table(none.steps) == [(0, 0, 0), (0, 0, 0)]
    assert none.steps[0].conversion_from_previous is None and none.steps[1].conversion_from_first is None


def test_integer_ids_and_null_breakdown_values(make_events: Any, funnel_engine: str) -> None:
    rows = [
        (1, "a", T0, None),
        (1, "b", at(minutes=1), 99),  # the breakdown comes from the first step: NULL
        (2, "a", T0, 7),
        (3, "a", T0, 7),
        (3, "b", at(minutes=1), None),
    ]
    events = make_events(rows, extra=("plan",))
    assert events.schema.field("plan").type == pa.int64()
    query = FunnelQuery(steps=("a", "b"), window=timedelta(hours=1), breakdown="plan", as_of=FAR)
    r = funnel_run(events, query, engine=funnel_engine)
    # plan 7: persons 2 and 3 (3 converts); NULL: person 1 (converts). Bigger group first.
    assert [(b.value, table(b.steps)) for b in r.breakdowns] == [
        (7, [(2, 0, 1), (1, 0, 0)]),
        (None, [(1, 0, 0), (1, 0, 0)]),
    ]
    assert table(r.steps) == [(3, 0, 1), (2, 0, 0)]


def test_nanosecond_timestamps_keep_their_order(make_events: Any, funnel_engine: str) -> None:
    base = int(T0.timestamp()) * 10**9
    events = pa.table(
        {
            "person_id": ["p", "p", "q", "q"],
            "event": ["a", "b", "a", "b"],
            "ts": pa.array([base, base + 1, base, base], pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
        }
    )
    query = FunnelQuery(steps=("a", "b"), window=timedelta(seconds=1), as_of=FAR)
    r = funnel_run(events, query, engine=funnel_engine)
    # p's b is 1 ns after a: counted. q's b is at the same nanosecond: not counted.
    assert table(r.steps) == [(2, 0, 1), (1, 0, 0)]
    assert r.time_to_convert.max_seconds == pytest.approx(1e-9)


def test_dictionary_and_large_string_columns(funnel_engine: str) -> None:
    # Parquet readers often hand back dictionary-encoded strings; results must not change.
    events = pa.table(
        {
            "person_id": pa.array([1, 1, 2], pa.int64()),
            "event": pa.array(["a", "b", "a"]).dictionary_encode(),
            "ts": pa.array([0, 1, 0], pa.int64()).cast(pa.timestamp("s", tz="UTC")),
            "src": pa.array(["x", "x", "y"], pa.large_string()),
        }
    )
    query = FunnelQuery(steps=("a", "b"), window=timedelta(hours=1), breakdown="src", as_of=FAR)
    r = funnel_run(events, query, engine=funnel_engine)
    assert table(r.steps) == [(2, 0, 1), (1, 0, 0)]
    assert [(b.value, b.steps[1].reached) for b in r.breakdowns] == [("x", 1), ("y", 0)]


def test_result_as_arrow_and_json(make_events: Any) -> None:
    rows = [("p", "a", T0, "x"), ("p", "b", at(minutes=1), "x"), ("q", "a", T0, "y")]
    r = run(make_events, rows, ("a", "b"), timedelta(hours=1), "duckdb", extra=("src",), breakdown="src")
    t = r.to_arrow()
    assert t.column_names == [
        "is_total",
        "breakdown",
        "index",
        "name",
        "reached",
        "conversion_from_previous",
        "conversion_from_first",
        "in_progress",
        "dropped",
    ]
    assert t.num_rows == 6  # 2 steps × (total, x, y)
    assert t.column("reached").to_pylist() == [2, 1, 1, 1, 1, 0]
    assert t.column("breakdown").to_pylist() == [None, None, "x", "x", "y", "y"]
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["breakdowns"][0]["value"] == "x" and doc["steps"][1]["reached"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": ()}, "at least one step"),
        ({"window": timedelta(0)}, "window must be positive"),
        ({"exclusion": "a"}, "also a funnel step"),
        ({"as_of": datetime(2024, 1, 1)}, "timezone-aware"),
        ({"percentiles": (50.0, 101.0)}, "percentiles must lie in"),
        ({"histogram_bins": 0}, "histogram_bins must be at least 1"),
    ],
)
def test_bad_definitions_are_refused(kwargs: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"steps": ("a", "b"), "window": timedelta(hours=1)}
    with pytest.raises(FunnelError, match=message):
        FunnelQuery(**{**base, **kwargs})


def test_bad_input_tables_are_refused_with_the_reason(make_events: Any) -> None:
    query = FunnelQuery(steps=("a",), window=timedelta(hours=1), breakdown="plan", as_of=FAR)
    good = make_events([("p", "a", T0)])
    with pytest.raises(FunnelError, match=r"missing column.*plan"):
        funnel_run(good, query)
    with pytest.raises(FunnelError, match=r"missing column.*person_id"):
        funnel_run(good.drop_columns(["person_id"]), FunnelQuery(steps=("a",), window=timedelta(hours=1)))
    naive = good.set_column(2, "ts", good.column("ts").cast(pa.timestamp("us")))
    with pytest.raises(FunnelError, match="timezone-aware"):
        funnel_run(naive, FunnelQuery(steps=("a",), window=timedelta(hours=1)))
    with pytest.raises(ValueError, match="unknown engine 'sqlite'"):
        funnel_run(good, FunnelQuery(steps=("a",), window=timedelta(hours=1)), engine="sqlite")
