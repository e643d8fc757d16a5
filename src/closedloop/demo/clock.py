"""Time for the demo: the history window and business hours in each contact's own time zone.

People fill in forms, open emails and take calls during their working day, so every generated
timestamp is a local business-hours time converted to UTC (daylight saving included)."""

from datetime import date, datetime, time, timedelta, tzinfo
from random import Random
from zoneinfo import ZoneInfo

import numpy as np

DAY = 86_400
NEVER = np.int64(2**62)  # "did not happen within the history"
# Relative weight of each local hour of the day for B2B activity: mornings and early afternoons.
HOUR_WEIGHTS = np.array(
    [0, 0, 0, 0, 0, 0, 0.2, 0.6, 1.5, 2.5, 3.0, 2.8, 1.8, 2.2, 2.8, 2.6, 2.2, 1.5, 0.8, 0.5, 0.4, 0.3, 0.1, 0]
)
HOUR_P = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
WEEKEND_KEPT = 0.15  # share of activity that stays on a Saturday or Sunday; the rest waits for Monday
MARGIN_DAYS = 400  # long stage lags may run past the end; they are cut off there


class Clock:
    """Days 0..days-1 are the history; `end_ts` (midnight at the start of the end date, server time)
    is the first instant not generated, so nothing lies in the future whatever the hour."""

    def __init__(self, *, end_date: date, days: int, time_zones: list[str], server_tz: tzinfo) -> None:
        self.days = days
        self.end_date = end_date
        self.start_date = end_date - timedelta(days=days)
        self.time_zones = time_zones
        self.end_ts = int(datetime.combine(end_date, time.min, tzinfo=server_tz).timestamp())
        self.start_ts = int(datetime.combine(self.start_date, time.min, tzinfo=server_tz).timestamp())
        span = days + MARGIN_DAYS
        # day_start[z, d]: UTC epoch of local midnight of day d in zone z.
        self.day_start = np.array(
            [
                [
                    int(
                        datetime.combine(
                            self.start_date + timedelta(days=d), time.min, tzinfo=ZoneInfo(z)
                        ).timestamp()
                    )
                    for d in range(span)
                ]
                for z in time_zones
            ],
            dtype=np.int64,
        )
        self._day_start_list = self.day_start.tolist()
        self._first_weekday = self.start_date.weekday()
        self._span = span

    # ---- vectorised (numpy) -------------------------------------------------------------------
    def business_seconds(self, rng: np.random.Generator, n: int) -> np.ndarray:
        hours = rng.choice(24, size=n, p=HOUR_P)
        return hours * 3600 + rng.integers(0, 3600, size=n)

    def at(self, rng: np.random.Generator, day: np.ndarray, zone: np.ndarray) -> np.ndarray:
        """A business-hours time on local day `day` in `zone` (weekends mostly moved to Monday)."""
        day = np.asarray(day, dtype=np.int64)
        weekday = (self._first_weekday + day) % 7
        move = (weekday >= 5) & (rng.random(day.shape[0]) >= WEEKEND_KEPT)
        day = np.where(move, day + (7 - weekday), day)
        day = np.clip(day, 0, self._span - 1)
        return self.day_start[zone, day] + self.business_seconds(rng, day.shape[0])

    def snap(
        self, rng: np.random.Generator, t: np.ndarray, zone: np.ndarray, after: np.ndarray
    ) -> np.ndarray:
        """Move raw times to business hours on their local day, never before `after` + 1 minute."""
        t = np.minimum(t, NEVER // 2)
        day = np.clip((t - self.day_start[zone, 0]) // DAY, 0, self._span - 1)
        snapped = self.at(rng, day, zone)
        snapped = np.where(t >= self.day_start[zone, -1], NEVER, snapped)
        return np.maximum(snapped, after + 60)

    # ---- scalar (inside per-contact loops) ----------------------------------------------------
    def snap1(self, rnd: Random, t: float, zone: int) -> int:
        starts = self._day_start_list[zone]
        day = int((t - starts[0]) // DAY)
        if day >= self._span or day < 0:
            return int(t)
        weekday = (self._first_weekday + day) % 7
        if weekday >= 5 and rnd.random() >= WEEKEND_KEPT:
            day = min(day + 7 - weekday, self._span - 1)
        hour = rnd.choices(_HOURS, cum_weights=_HOUR_CUM)[0]
        return starts[day] + hour * 3600 + rnd.randrange(3600)

    def day_index(self, t: int) -> int:
        return (t - self.start_ts) // DAY


_HOURS = list(range(24))
_HOUR_CUM = np.cumsum(HOUR_WEIGHTS).tolist()


def timestamps_sql(epochs: np.ndarray, *, with_offset: bool) -> list[str]:
    """UTC timestamps as the text both databases read: SQLite stores naive UTC text when USE_TZ is on;
    PostgreSQL's COPY takes the explicit offset. Vectorised, because there are hundreds of thousands."""
    text = np.datetime_as_string(np.asarray(epochs, dtype="datetime64[s]"), unit="s")
    out = np.char.replace(text, "T", " ")
    if with_offset:
        out = np.char.add(out, "+00:00")
    return out.tolist()
