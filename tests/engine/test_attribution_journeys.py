"""Building journeys from touchpoints and conversions, and models that need their timestamps/flags."""

from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from closedloop.engine.attribution import time_decay, w_shaped
from closedloop.engine.journeys import journeys_build, paths_aggregate, paths_from_journeys

DAY0 = datetime(2026, 3, 2)


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


def touch_table(rows, **extra):
    person, ts, channel = zip(*rows, strict=True)
    columns = {
        "person_id": list(person),
        "ts": pa.array(list(ts), pa.timestamp("us")),
        "channel": list(channel),
    }
    return pa.table({**columns, **extra})


def conversion_table(rows):
    person, ts, revenue = zip(*rows, strict=True) if rows else ((), (), ())
    return pa.table(
        {
            "person_id": pa.array(list(person), pa.int64()),
            "ts": pa.array(list(ts), pa.timestamp("us")),
            "revenue": pa.array(list(revenue), pa.float64()),
        }
    )


def journey_rows(journeys):
    return [
        (row["person_id"], row["path"], row["conversions"], row["revenue"]) for row in journeys.to_pylist()
    ]


def test_touches_up_to_each_conversion_form_its_path_and_the_rest_a_null_journey():
    touches = touch_table(
        [
            (1, day(0), "email"),
            (1, day(2), "ads"),
            (1, day(3), "webinar"),  # at the conversion instant: belongs to that conversion
            (1, day(5), "webinar"),
            (1, day(8), "email"),  # after the last conversion: a journey that has not converted
            (2, day(1), "ads"),  # never converts
        ]
    )
    conversions = conversion_table([(1, day(3), 100.0), (1, day(6), 50.0), (3, day(4), 70.0)])
    # Person 3 converted with no touch at all: nothing to attribute, so no journey.
    assert journey_rows(journeys_build(touches, conversions)) == [
        (1, ["email", "ads", "webinar"], 1, 100.0),
        (1, ["webinar"], 1, 50.0),
        (1, ["email"], 0, 0.0),
        (2, ["ads"], 0, 0.0),
    ]


def test_conversions_at_the_same_instant_share_one_path():
    touches = touch_table([(1, day(0), "email")])
    conversions = conversion_table([(1, day(1), 10.0), (1, day(1), 5.0)])
    assert journey_rows(journeys_build(touches, conversions)) == [(1, ["email"], 2, 15.0)]


def test_any_column_can_be_the_key():
    touches = touch_table([(1, day(0), "email"), (1, day(1), "email")], campaign=["spring", None])
    journeys = journeys_build(touches, conversion_table([(1, day(2), 1.0)]), key="campaign")
    # A touch with no campaign is still a touch: it shows as "(none)" rather than vanishing.
    assert journey_rows(journeys) == [(1, ["spring", "(none)"], 1, 1.0)]


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="'campaign'"):
        journeys_build(touch_table([(1, day(0), "email")]), conversion_table([]), key="campaign")
    with pytest.raises(ValueError, match="conversions is missing column 'revenue'"):
        journeys_build(touch_table([(1, day(0), "email")]), pa.table({"person_id": [1], "ts": [day(1)]}))


def test_paths_aggregate_matches_channelattribution_format():
    touches = touch_table(
        [
            (1, day(0), "email"),
            (1, day(1), "ads"),
            (2, day(0), "email"),
            (2, day(1), "ads"),
            (3, day(0), "ads"),
        ]
    )
    conversions = conversion_table([(1, day(2), 30.0), (2, day(2), 20.0)])
    table = paths_aggregate(journeys_build(touches, conversions))
    assert table.to_pylist() == [
        {"path": "ads", "total_conversions": 0.0, "total_conversion_value": 0.0, "total_null": 1.0},
        {"path": "email > ads", "total_conversions": 2.0, "total_conversion_value": 50.0, "total_null": 0.0},
    ]


def test_paths_aggregate_refuses_channels_containing_the_separator():
    touches = touch_table([(1, day(0), "a>b")])
    with pytest.raises(ValueError, match="'a>b'"):
        paths_aggregate(journeys_build(touches, conversion_table([])))


def test_time_decay_uses_days_before_the_conversion():
    # Touches 14, 7 and 0 days before the conversion, half-life 7 days:
    # raw weights 2^-2, 2^-1, 1 = 1/4, 1/2, 1 → /(7/4) → 1/7, 2/7, 4/7; revenue 70 → 10, 20, 40.
    touches = touch_table([(1, day(0), "ads"), (1, day(7), "email"), (1, day(14), "demo")])
    paths = paths_from_journeys(journeys_build(touches, conversion_table([(1, day(14), 70.0)])))
    table = time_decay(paths, half_life=7.0)
    assert dict(zip(table.column("key").to_pylist(), table.column("revenue").to_pylist(), strict=True)) == (
        pytest.approx({"ads": 10.0, "demo": 40.0, "email": 20.0})
    )


def test_time_decay_survives_touches_years_old():
    # 2^(-3650/1) underflows to 0 for both touches; measured from the youngest touch they are
    # one day apart → weights 1/2 and 1 → 1/3, 2/3.
    touches = touch_table([(1, day(0), "ads"), (1, day(1), "email")])
    paths = paths_from_journeys(journeys_build(touches, conversion_table([(1, day(3651), 3.0)])))
    table = time_decay(paths, half_life=1.0)
    assert table.column("conversions").to_pylist() == pytest.approx([1 / 3, 2 / 3])


def test_w_shaped_uses_lead_and_opportunity_flags():
    # Five touches; lead created on touch 2 (webinar), opportunity on touch 4 (demo):
    # anchors 0, 2, 4 get 30 % each; touches 1 and 3 share 10 % → 5 % each.
    # email = .30 + .05 (touch 3) = .35; ads .05; webinar .30; demo .30. Revenue 1000.
    touches = touch_table(
        [
            (1, day(0), "email"),
            (1, day(1), "ads"),
            (1, day(2), "webinar"),
            (1, day(3), "email"),
            (1, day(4), "demo"),
        ],
        is_lead_creation=[False, False, True, False, False],
        is_opportunity_creation=[False, False, False, False, True],
    )
    paths = paths_from_journeys(journeys_build(touches, conversion_table([(1, day(5), 1000.0)])))
    table = w_shaped(paths)
    assert dict(zip(table.column("key").to_pylist(), table.column("revenue").to_pylist(), strict=True)) == (
        pytest.approx({"ads": 50.0, "demo": 300.0, "email": 350.0, "webinar": 300.0})
    )


def test_w_shaped_anchor_roles_on_one_touch_add_up():
    # Lead created on the first touch, no opportunity flag → opportunity falls back to the last.
    # Touch 0 holds two roles (60 %), touch 2 one (30 %), touch 1 is the only other (10 %).
    touches = touch_table(
        [(1, day(0), "ads"), (1, day(1), "email"), (1, day(2), "demo")],
        is_lead_creation=[True, False, False],
    )
    paths = paths_from_journeys(journeys_build(touches, conversion_table([(1, day(3), 1.0)])))
    assert w_shaped(paths).column("conversions").to_pylist() == pytest.approx([0.6, 0.3, 0.1])


def test_ages_are_elapsed_time_across_a_daylight_saving_change():
    # Paris moves clocks forward on 2026-03-29; noon UTC to noon UTC the next day is still
    # exactly one day (local clocks show 13:00 → 14:00, 25 hours apart on the wall).
    paris = pa.timestamp("us", tz="Europe/Paris")
    utc = pa.timestamp("us", tz="UTC")
    touches = pa.table(
        {
            "person_id": [1, 1],
            "ts": pa.array([datetime(2026, 3, 28, 12), datetime(2026, 3, 29, 12)], utc).cast(paris),
            "channel": ["ads", "email"],
        }
    )
    conversions = pa.table(
        {
            "person_id": [1],
            "ts": pa.array([datetime(2026, 3, 29, 12)], utc).cast(paris),
            "revenue": [1.0],
        }
    )
    assert journeys_build(touches, conversions).column("ages").to_pylist() == [[1.0, 0.0]]


def test_non_timestamp_ts_is_refused():
    touches = pa.table({"person_id": [1], "ts": ["yesterday"], "channel": ["ads"]})
    with pytest.raises(ValueError, match=r"touchpoints.ts must be a timestamp"):
        journeys_build(touches, conversion_table([]))
