"""Multi-touch attribution: rule-based models, the model registry and the side-by-side comparison.

Every model takes :class:`~closedloop.engine.journeys.Paths` and returns an Arrow table
``key, conversions, revenue`` with one row per channel (or campaign, or whatever key the paths were
built on), in key order. Credits of a path always sum to its conversions and its revenue.
Conventions for short paths and the W-shaped anchors are documented in ``docs/attribution.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from closedloop.engine.journeys import Paths
from closedloop.engine.markov import markov_attribution
from closedloop.engine.shapley import shapley_attribution

MODELS = ("first", "last", "linear", "u_shaped", "w_shaped", "time_decay", "markov", "shapley")
DEFAULT_HALF_LIFE = 7.0
MEASURES = ("conversions", "revenue")


def attribution_table(channels: Sequence[str], conversions: np.ndarray, revenue: np.ndarray) -> pa.Table:
    return pa.table(
        {
            "key": pa.array(list(channels), pa.string()),
            "conversions": pa.array(conversions, pa.float64()),
            "revenue": pa.array(revenue, pa.float64()),
        }
    )


def first_touch(paths: Paths) -> pa.Table:
    return _credit(paths, (paths.position_of_touch() == 0).astype(np.float64))


def last_touch(paths: Paths) -> pa.Table:
    n = np.repeat(paths.lengths, paths.lengths)
    return _credit(paths, (paths.position_of_touch() == n - 1).astype(np.float64))


def linear(paths: Paths) -> pa.Table:
    """Each touch gets 1/n; a channel touched twice gets twice (as channelattribution does)."""
    return _credit(paths, 1.0 / np.repeat(paths.lengths, paths.lengths))


def u_shaped(paths: Paths) -> pa.Table:
    """40 % first, 40 % last, 20 % spread over the middle; one touch 100 %, two touches 50/50."""
    pos = paths.position_of_touch()
    n = np.repeat(paths.lengths, paths.lengths)
    is_end = (pos == 0) | (pos == n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        middle = 0.2 / (n - 2)
    weights = np.where(n == 1, 1.0, np.where(n == 2, 0.5, np.where(is_end, 0.4, middle)))
    return _credit(paths, weights)


def w_shaped(paths: Paths) -> pa.Table:
    """30 % each to the first, lead-creation and opportunity-creation touches, 10 % to the rest.

    Anchors are the first touch flagged ``is_lead_creation`` / ``is_opportunity_creation``.
    Without an opportunity flag the last touch stands in (the touch nearest the outcome); without a
    lead flag the median touch does, and for an even number of touches the two central touches
    share it. Roles landing on one touch add up. When every touch is an anchor the 10 % is spread
    over the three roles instead, which gives 100 % for one touch, 50/50 for two and a third each
    for three touches without flags.
    """
    pos = paths.position_of_touch()
    n = np.repeat(paths.lengths, paths.lengths)
    lead = _first_flagged(paths, paths.lead_flags)
    opportunity = _first_flagged(paths, paths.opportunity_flags)
    opp_at = np.where(opportunity >= 0, opportunity, paths.lengths - 1)[paths.path_of_touch()]
    lead_at = lead[paths.path_of_touch()]
    # Median fallback: odd n puts the role on (n-1)/2; even n halves it over n/2-1 and n/2.
    median_share = np.where(
        n % 2 == 1, (2 * pos == n - 1) * 1.0, ((pos == n // 2 - 1) | (pos == n // 2)) * 0.5
    )
    lead_role = np.where(lead_at >= 0, (pos == lead_at) * 1.0, median_share)
    roles = (pos == 0) * 1.0 + (pos == opp_at) * 1.0 + lead_role
    is_anchor = roles > 0
    rest = np.bincount(paths.path_of_touch(), weights=~is_anchor, minlength=paths.n_paths)
    rest_of_touch = rest[paths.path_of_touch()]
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where(
            rest_of_touch > 0,
            0.3 * roles + np.where(is_anchor, 0.0, 0.1 / rest_of_touch),
            roles / 3.0,
        )
    return _credit(paths, weights)


def time_decay(paths: Paths, *, half_life: float = DEFAULT_HALF_LIFE) -> pa.Table:
    """Touch weight 2^(-age / half_life), normalised per path; age is time before the conversion."""
    if not half_life > 0:
        raise ValueError(f"half_life must be > 0, got {half_life!r}")
    path = paths.path_of_touch()
    # Measuring age from each path's youngest touch leaves the normalised weights unchanged but
    # keeps them from underflowing to 0/0 when every touch is years old.
    youngest = np.minimum.reduceat(paths.ages, paths.offsets[:-1]) if paths.n_paths else paths.ages
    raw = np.exp2(-(paths.ages - youngest[path]) / half_life)
    weights = raw / np.bincount(path, weights=raw, minlength=paths.n_paths)[path]
    return _credit(paths, weights)


def attribute(paths: Paths, model: str, *, half_life: float = DEFAULT_HALF_LIFE, order: int = 1) -> pa.Table:
    """Run one model by name (see :data:`MODELS`)."""
    match model:
        case "first":
            return first_touch(paths)
        case "last":
            return last_touch(paths)
        case "linear":
            return linear(paths)
        case "u_shaped":
            return u_shaped(paths)
        case "w_shaped":
            return w_shaped(paths)
        case "time_decay":
            return time_decay(paths, half_life=half_life)
        case "markov":
            return markov_attribution(paths, order=order).select(["key", "conversions", "revenue"])
        case "shapley":
            return shapley_attribution(paths)
    raise ValueError(f"unknown attribution model {model!r}; choose from {', '.join(MODELS)}")


def attribution_compare(
    paths: Paths,
    *,
    models: Sequence[str] = MODELS,
    measure: str = "conversions",
    half_life: float = DEFAULT_HALF_LIFE,
    order: int = 1,
) -> pa.Table:
    """All models side by side: ``key`` then one column per model, for one measure."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
    columns: dict[str, pa.Array] = {"key": pa.array(paths.channels, pa.string())}
    for model in models:
        columns[model] = attribute(paths, model, half_life=half_life, order=order).column(measure)
    return pa.table(columns)


def _credit(paths: Paths, weights: np.ndarray) -> pa.Table:
    """Sum per-touch weights × the path's conversions and revenue into per-channel credit."""
    path = paths.path_of_touch()
    n_channels = len(paths.channels)
    conversions = np.bincount(paths.codes, weights=weights * paths.conversions[path], minlength=n_channels)
    revenue = np.bincount(paths.codes, weights=weights * paths.revenue[path], minlength=n_channels)
    return attribution_table(paths.channels, conversions, revenue)


def _first_flagged(paths: Paths, flags: np.ndarray | None) -> np.ndarray:
    """Position of each path's first flagged touch, -1 where none is flagged."""
    first = np.full(paths.n_paths, np.iinfo(np.int64).max)
    if flags is not None and flags.any():
        np.minimum.at(first, paths.path_of_touch()[flags], paths.position_of_touch()[flags])
    return np.where(first == np.iinfo(np.int64).max, -1, first)
