"""Markov-chain attribution by removal effect, computed exactly with absorbing-chain linear algebra.

States are the observed windows of the last ``order`` channels (channelattribution's convention:
a path ``a > b > c > d`` at order 2 walks ``(a,b) → (b,c) → (c,d)``; a path shorter than the order
is one state), plus ``start`` and the absorbing ``conversion`` and ``null``. Consecutive repeats of
a state are merged; in an absorbing chain a self-loop only rescales a state's exits, so this leaves
every absorption probability unchanged. Non-converting paths count: they end in ``null``.

Removing a channel sends every state that contains it to ``null``. Its removal effect is
``1 - P(conversion | removed) / P(conversion)``, and conversions are shared in proportion to the
removal effects. Revenue uses the same chain with each conversion worth the mean revenue of the
conversions that left from that state, which is how channelattribution simulates value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from closedloop.engine.journeys import Paths

# Up to this many cells, counting into a dense array is cheaper than sorting sparse indices.
_DENSE_LIMIT = 1 << 22


@dataclass(frozen=True)
class MarkovChain:
    """Transient part of the chain. State 0 is ``start``; ``state_channels[s]`` are the channel
    codes in state ``s`` (-1 pads windows shorter than the order)."""

    transient: sp.csc_matrix  # Q: transient → transient probabilities
    to_conversion: np.ndarray  # columns: P(s → conversion), expected revenue of that step
    state_channels: np.ndarray


def markov_chain(paths: Paths, *, order: int = 1) -> MarkovChain:
    """Estimate the order-``order`` chain from path counts, fully vectorised."""
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(f"order must be an integer ≥ 1, got {order!r}")
    lengths = paths.lengths
    weight = paths.conversions + paths.nulls
    # Paths nobody walked (0 conversions, 0 nulls) carry no transition; drop them early.
    walked = weight > 0
    n_windows = np.where(walked, np.maximum(lengths - order + 1, 1), 0)
    n_total = int(n_windows.sum())
    path_of_window = np.repeat(np.arange(paths.n_paths), n_windows)
    window_offsets = np.concatenate([[0], np.cumsum(n_windows)])
    start = paths.offsets[path_of_window] + np.arange(n_total) - window_offsets[path_of_window]
    if n_total == 0:
        # No journey was walked: the chain is a lone start state that never converts.
        return MarkovChain(sp.csc_matrix((1, 1)), np.zeros((1, 2)), np.full((1, order), -1))
    slot = np.arange(order)
    inside = slot[None, :] < lengths[path_of_window][:, None]
    index = np.minimum(start[:, None] + slot[None, :], len(paths.codes) - 1)
    window_codes = np.where(inside, paths.codes[index], -1)

    state_channels, state = _number_states(window_codes, len(paths.channels))
    state = state + 1  # 0 is start
    n_states = len(state_channels) + 1
    state_channels = np.vstack([np.full((1, order), -1, dtype=window_codes.dtype), state_channels])

    new_path = np.ones(n_total, dtype=bool)
    new_path[1:] = path_of_window[1:] != path_of_window[:-1]
    keep = new_path.copy()
    keep[1:] |= state[1:] != state[:-1]  # merge consecutive repeats of a state within a path
    kept_state, kept_path, kept_new = state[keep], path_of_window[keep], new_path[keep]
    source = np.where(kept_new, 0, np.concatenate([[0], kept_state[:-1]]))
    last_state = np.zeros(paths.n_paths, dtype=np.int64)
    is_last = np.append(kept_new[1:], True)
    last_state[kept_path[is_last]] = kept_state[is_last]

    conversion, null = n_states, n_states + 1
    walked_paths = np.flatnonzero(walked)
    rows = np.concatenate([source, last_state[walked_paths], last_state[walked_paths]])
    cols = np.concatenate(
        [kept_state, np.full(len(walked_paths), conversion), np.full(len(walked_paths), null)]
    )
    counts = np.concatenate([weight[kept_path], paths.conversions[walked_paths], paths.nulls[walked_paths]])
    width = n_states + 2
    if n_states * width <= _DENSE_LIMIT:
        # Few states (order 1, or few channels): a dense bincount beats COO's sort by far.
        dense = np.bincount(rows * width + cols, weights=counts, minlength=n_states * width)
        matrix = sp.csr_matrix(dense.reshape(n_states, width))
    else:
        matrix = sp.csr_matrix((counts, (rows, cols)), shape=(n_states, width))
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    probabilities = sp.diags(scale) @ matrix
    revenue_out = np.bincount(
        last_state[walked_paths], weights=paths.revenue[walked_paths], minlength=n_states
    )
    return MarkovChain(
        transient=probabilities[:, :n_states].tocsc(),
        to_conversion=np.column_stack(
            [probabilities[:, [conversion]].toarray().ravel(), revenue_out * scale]
        ),
        state_channels=state_channels,
    )


def _number_states(window_codes: np.ndarray, n_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct windows (rows of channel codes) and each window's state number."""
    base = n_channels + 1
    order = window_codes.shape[1]
    if base**order >= 2**62:
        unique, inverse = np.unique(window_codes, axis=0, return_inverse=True)
        return unique, inverse.reshape(-1)
    # Packing a window into one integer makes numbering a 1-D problem: a lookup table when the
    # packed range is small (no sort at all), else a 1-D unique, both far faster than rows.
    packed = (window_codes + 1) @ (base ** np.arange(order, dtype=np.int64))
    if base**order <= _DENSE_LIMIT:
        seen = np.zeros(base**order, dtype=bool)
        seen[packed] = True
        unique = np.flatnonzero(seen)
        inverse = (np.cumsum(seen) - 1)[packed]
    else:
        unique, inverse = np.unique(packed, return_inverse=True)
    digits = unique[:, None] // (base ** np.arange(order, dtype=np.int64))[None, :] % base
    return digits - 1, inverse


def conversion_probability(chain: MarkovChain, removed: np.ndarray | None = None) -> np.ndarray:
    """P(start ends in conversion) and expected revenue per journey, with ``removed`` states → null.

    Solves (I - Q) x = r on the kept states: x[s] is the absorption value from s, so x[start]
    is exact — no simulation, no step limit.
    """
    n_states = chain.transient.shape[0]
    keep = np.ones(n_states, dtype=bool) if removed is None else ~removed
    keep[0] = True
    q = chain.transient[keep][:, keep]
    system = (sp.identity(q.shape[0], format="csc") - q).tocsc()
    rhs = chain.to_conversion[keep]
    if not rhs.any():
        return np.zeros(2)
    solution = spla.splu(system).solve(np.ascontiguousarray(rhs))
    return solution[0]


def removal_effects(chain: MarkovChain, n_channels: int) -> np.ndarray:
    """Removal effect per channel (rows) for conversions and revenue (columns)."""
    total = conversion_probability(chain)
    effects = np.zeros((n_channels, 2))
    for channel in range(n_channels):
        removed = (chain.state_channels == channel).any(axis=1)
        if not removed.any():
            continue
        without = conversion_probability(chain, removed)
        with np.errstate(divide="ignore", invalid="ignore"):
            effect = np.where(total > 0, 1.0 - without / total, 0.0)
        # Rounding can leave -1e-17 where removal changes nothing.
        effects[channel] = np.clip(effect, 0.0, 1.0)
    return effects


def markov_attribution(paths: Paths, *, order: int = 1) -> pa.Table:
    """Conversions and revenue per channel by removal effect.

    Columns: ``key, conversions, revenue, removal_effect, removal_effect_revenue``.
    """
    effects = removal_effects(markov_chain(paths, order=order), len(paths.channels))
    totals = np.array([paths.conversions.sum(), paths.revenue.sum()])
    sums = effects.sum(axis=0)
    shares = np.divide(effects, sums, out=np.zeros_like(effects), where=sums > 0)
    credit = shares * totals
    return pa.table(
        {
            "key": pa.array(paths.channels, pa.string()),
            "conversions": pa.array(credit[:, 0], pa.float64()),
            "revenue": pa.array(credit[:, 1], pa.float64()),
            "removal_effect": pa.array(effects[:, 0], pa.float64()),
            "removal_effect_revenue": pa.array(effects[:, 1], pa.float64()),
        }
    )
