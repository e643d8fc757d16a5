"""Shapley-value attribution, exact over all channel coalitions.

The value of a coalition S is the conversions (or revenue) of the paths whose set of channels is a
subset of S. Each channel's share is its marginal contribution averaged over every order in which
the channels could join: ``φ_i = Σ_{S ∌ i} |S|! (n-|S|-1)! / n! · (v(S ∪ {i}) - v(S))``. With this
value function the result equals splitting each path's conversions equally among its distinct
channels; the tests derive their expected numbers that way, independently of the enumeration.
Only the order and repetition of touches do not matter, and non-converting paths add nothing.
"""

from __future__ import annotations

from math import factorial

import numpy as np
import pyarrow as pa

from closedloop.engine.journeys import Paths

# 2^15 coalitions × 15 channels is instant; each extra channel doubles time and memory.
MAX_CHANNELS = 15


def shapley_attribution(paths: Paths, *, max_channels: int = MAX_CHANNELS) -> pa.Table:
    """Conversions and revenue per channel by exact Shapley value. Columns: ``key, conversions, revenue``.

    Raises ``ValueError`` when more than ``max_channels`` channels appear on converting paths;
    channels seen only on non-converting paths are null players and get 0 without counting.
    """
    path = paths.path_of_touch()
    valuable = _valuable(paths)
    active = np.unique(paths.codes[valuable[path]])
    if len(active) > max_channels:
        raise ValueError(
            f"Shapley attribution is exact over 2^n channel coalitions and allows at most "
            f"{max_channels} channels on converting paths; these paths have {len(active)}. "
            "Group channels (or attribute by a coarser key) first."
        )
    n = len(active)
    result = np.zeros((len(paths.channels), 2))
    if n:
        player = np.full(len(paths.channels), -1, dtype=np.int64)
        player[active] = np.arange(n)
        touch_bits = np.where(valuable[path], np.left_shift(1, np.maximum(player[paths.codes], 0)), 0)
        masks = np.bitwise_or.reduceat(touch_bits, paths.offsets[:-1]) if paths.n_paths else touch_bits
        masks = np.where(paths.lengths > 0, masks, 0)
        worth = np.column_stack(
            [np.bincount(masks, weights=w, minlength=1 << n) for w in (paths.conversions, paths.revenue)]
        )
        result[active] = _shapley_values(_subset_sums(worth, n), n)
    return pa.table(
        {
            "key": pa.array(paths.channels, pa.string()),
            "conversions": pa.array(result[:, 0], pa.float64()),
            "revenue": pa.array(result[:, 1], pa.float64()),
        }
    )


def shapley_player_count(paths: Paths) -> int:
    """Channels on converting paths: the players the coalition enumeration has to cover."""
    return len(np.unique(paths.codes[_valuable(paths)[paths.path_of_touch()]]))


def _valuable(paths: Paths) -> np.ndarray:
    return (paths.conversions > 0) | (paths.revenue > 0)


def _subset_sums(worth: np.ndarray, n: int) -> np.ndarray:
    """v(S) = Σ_{T ⊆ S} worth(T) for every mask S (zeta transform, O(n·2^n))."""
    value = worth.copy()
    for bit in range(n):
        # Viewing masks as (high bits, this bit, low bits) pairs every S without the bit with S ∪ bit.
        view = value.reshape(-1, 2, 1 << bit, value.shape[1])
        view[:, 1] += view[:, 0]
    return value


def _shapley_values(value: np.ndarray, n: int) -> np.ndarray:
    masks = np.arange(1 << n)
    size = np.bitwise_count(masks)
    weight = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    phi = np.zeros((n, value.shape[1]))
    for bit in range(n):
        view = value.reshape(-1, 2, 1 << bit, value.shape[1])
        without = size.reshape(-1, 2, 1 << bit)[:, 0]
        marginal = view[:, 1] - view[:, 0]
        phi[bit] = np.einsum("ab,abm->m", weight[without], marginal)
    return phi
