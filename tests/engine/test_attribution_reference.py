"""Agreement with the reference implementation, the `channelattribution` package.

Heuristic models must agree exactly. Its Markov model estimates the same removal effects by
simulating journeys through the fitted chain, so ours (exact) must agree within its simulation
error; the tolerance is derived from the number of simulations below, not tuned to pass.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from closedloop.engine.attribution import first_touch, last_touch, linear
from closedloop.engine.journeys import paths_from_channelattribution
from closedloop.engine.markov import markov_attribution

pytestmark = pytest.mark.slow

CHANNELS = ["email", "paid_search", "organic", "social", "webinar", "événement"]
NFOLD = 10  # channelattribution's default: it reports one of nfold runs of nsim_start/nfold walks
Z = 4.0  # standard errors allowed: the seed is fixed, but the bound should hold for any seed


@pytest.fixture(scope="module")
def ca():
    # A dev dependency (pyproject.toml); its absence is a broken install, not a reason to skip.
    import ChannelAttribution

    return ChannelAttribution


@pytest.fixture(scope="module")
def journeys():
    """20 000 journeys walked over a random first-order chain, aggregated by path."""
    rng = np.random.default_rng(20260302)
    n, k, max_len = 20_000, len(CHANNELS), 8
    transition = rng.dirichlet(np.ones(k), size=k)
    codes = np.empty((n, max_len), dtype=np.int64)
    codes[:, 0] = rng.integers(0, k, size=n)
    for step in range(1, max_len):
        cumulative = transition[codes[:, step - 1]].cumsum(axis=1)
        codes[:, step] = (rng.random((n, 1)) > cumulative).sum(axis=1).clip(max=k - 1)
    lengths = np.minimum(rng.geometric(0.4, size=n), max_len)
    # Conversion odds depend on the last channel and on having seen a webinar, so channels differ.
    last = codes[np.arange(n), lengths - 1]
    saw_webinar = (codes == CHANNELS.index("webinar")).any(axis=1)
    converted = rng.random(n) < 0.25 + 0.08 * last / k + 0.25 * saw_webinar
    revenue = np.where(converted, np.round(rng.lognormal(5.0, 0.6, size=n), 2), 0.0)
    names = np.asarray(CHANNELS, dtype=object)
    rows = pa.table(
        {
            "path": [" > ".join(names[codes[i, : lengths[i]]]) for i in range(n)],
            "total_conversions": converted.astype(np.float64),
            "total_conversion_value": revenue,
            "total_null": (~converted).astype(np.float64),
        }
    )
    return (
        rows.group_by("path")
        .aggregate([(c, "sum") for c in ("total_conversions", "total_conversion_value", "total_null")])
        .rename_columns(
            {
                "total_conversions_sum": "total_conversions",
                "total_conversion_value_sum": "total_conversion_value",
                "total_null_sum": "total_null",
            }
        )
        .sort_by("path")
    )


def by_key(table, column):
    return dict(zip(table.column("key").to_pylist(), table.column(column).to_pylist(), strict=True))


def by_channel(frame, column):
    return dict(zip(frame["channel_name"], frame[column], strict=True))


def test_heuristics_match_channelattribution_exactly(ca, journeys):
    theirs = ca.heuristic_models(
        journeys.to_pandas(), "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
    )
    paths = paths_from_channelattribution(journeys)
    for model, name in ((first_touch, "first_touch"), (last_touch, "last_touch"), (linear, "linear_touch")):
        ours = model(paths)
        assert by_key(ours, "conversions") == pytest.approx(
            by_channel(theirs, f"{name}_conversions"), rel=1e-9
        )
        assert by_key(ours, "revenue") == pytest.approx(by_channel(theirs, f"{name}_value"), rel=1e-9)


def simulation_tolerance(journeys, nsim):
    """Relative tolerance per channel (conversions, revenue) for channelattribution at ``nsim`` walks.

    It reports one fold of m = nsim/NFOLD simulated walks: channel c gets ΣX_c / ΣS of the total,
    where X_c = 1 for a walk that converted after visiting c (× its sampled value, for revenue)
    and S = Σ_c X_c. By the delta method the relative standard error of that ratio is
    √(Var(X_c - share·S) / m) / E[X_c]. The moments are taken over the observed journeys, the
    sample the chain was fitted to; revenue per conversion is the path's mean, which is what
    channelattribution samples from. Z standard errors are allowed.
    """
    m = nsim / NFOLD
    rows = journeys.to_pylist()
    walks = np.array([r["total_conversions"] + r["total_null"] for r in rows])
    conversions = np.array([r["total_conversions"] for r in rows])
    value = np.array([r["total_conversion_value"] / max(r["total_conversions"], 1) for r in rows])
    visits = np.array([[c in r["path"].split(" > ") for c in CHANNELS] for r in rows], dtype=float)
    tolerance = {}
    for i, channel in enumerate(CHANNELS):
        pair = []
        for worth in (np.ones(len(rows)), value):
            x = worth[:, None] * visits  # per converting walk on this path
            share = (conversions @ x[:, i]) / (conversions @ x.sum(axis=1))
            d = x[:, i] - share * x.sum(axis=1)
            mean_d = (conversions @ d) / walks.sum()
            var = (conversions @ d**2) / walks.sum() - mean_d**2
            mean_x = (conversions @ x[:, i]) / walks.sum()
            pair.append(Z * np.sqrt(var / m) / mean_x)
        tolerance[channel] = tuple(pair)
    return tolerance


@pytest.mark.parametrize(("order", "nsim"), [(1, 3_000_000), (2, 3_000_000), (3, 2_000_000)])
def test_markov_matches_channelattribution_within_simulation_error(ca, journeys, order, nsim):
    # max_step lifts channelattribution's default cap (the longest observed path), which cuts
    # simulated walks that loop longer and biases removal effects; the exact chain has no cap.
    theirs = ca.markov_model(
        journeys.to_pandas(),
        "path",
        "total_conversions",
        var_value="total_conversion_value",
        var_null="total_null",
        order=order,
        nsim_start=nsim,
        max_step=1000,
        verbose=False,
        flg_pro=False,
    )
    ours = markov_attribution(paths_from_channelattribution(journeys), order=order)
    tolerance = simulation_tolerance(journeys, nsim)
    ref_conv, ref_value = (
        by_channel(theirs, "total_conversions"),
        by_channel(theirs, "total_conversion_value"),
    )
    our_conv, our_value = by_key(ours, "conversions"), by_key(ours, "revenue")
    for channel in CHANNELS:
        conv_tol, value_tol = tolerance[channel]
        assert our_conv[channel] == pytest.approx(ref_conv[channel], rel=conv_tol), channel
        assert our_value[channel] == pytest.approx(ref_value[channel], rel=value_tol), channel
    # Both attribute every conversion and every unit of revenue.
    assert sum(our_conv.values()) == pytest.approx(pc.sum(journeys.column("total_conversions")).as_py())
