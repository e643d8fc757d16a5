"""Turning typed columns into model inputs, learnt on the training rows only (so the held-out
rows never leak into category lists or scaling).

- Gradient boosting gets numbers as they are (missing stays NaN) and categories as integer codes.
- The logistic regression gets numbers imputed with the median, a "was missing" flag, scaled,
  and categories one-hot encoded.
- High-cardinality categories keep their most frequent levels; rare ones share one "other" level.
  Columns that look like identifiers (almost one value per row) or hold one value are dropped
  and reported: they cannot generalise.

The fitted encoder is plain JSON, so a stored model never needs pickle.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from closedloop.scoring.tabular import Column

MAX_LEVELS = 60  # per category column; the rest become "other"
MIN_LEVEL_COUNT = 5  # a level seen fewer times in training is "other"
ID_LIKE_SHARE = 0.5  # distinct values / rows above which a text column is an identifier


@dataclass
class ColumnSpec:
    name: str
    kind: str  # numeric | category
    levels: list[str] = field(default_factory=list)  # category: kept levels, code = index
    median: float = 0.0
    mean: float = 0.0
    scale: float = 1.0
    has_missing: bool = False

    @property
    def other_code(self) -> int:
        return len(self.levels)


@dataclass
class Encoder:
    specs: list[ColumnSpec]
    dropped: dict[str, str] = field(default_factory=dict)  # column → why it was left out

    # -- fitting ------------------------------------------------------------------------------
    @classmethod
    def fit(cls, columns: dict[str, Column], rows: np.ndarray) -> Encoder:
        specs: list[ColumnSpec] = []
        dropped: dict[str, str] = {}
        n = len(rows)
        for name, column in columns.items():
            if column.kind == "numeric":
                assert column.numbers is not None
                values = column.numbers[rows]
                present = values[~np.isnan(values)]
                if len(np.unique(present)) <= 1:
                    dropped[name] = "one value only"
                    continue
                median = float(np.median(present))
                filled = np.where(np.isnan(values), median, values)
                std = float(filled.std()) or 1.0
                specs.append(
                    ColumnSpec(name, "numeric", median=median, mean=float(filled.mean()), scale=std,
                               has_missing=bool(np.isnan(values).any()))
                )  # fmt: skip
                continue
            labels = [column.labels[i] for i in rows]
            counts = Counter(v for v in labels if v is not None)
            if len(counts) <= 1 and all(v is not None for v in labels):
                dropped[name] = "one value only"
                continue
            if len(counts) > 50 and len(counts) > ID_LIKE_SHARE * n:
                dropped[name] = f"identifier-like: {len(counts)} distinct values in {n} rows"
                continue
            levels = [v for v, c in counts.most_common(MAX_LEVELS) if c >= MIN_LEVEL_COUNT]
            if not levels:
                dropped[name] = "every value is rare (seen fewer than 5 times)"
                continue
            specs.append(ColumnSpec(name, "category", levels=levels, has_missing=None in labels))
        if not specs:
            raise ValueError(
                "no usable feature columns: " + "; ".join(f"{k}: {v}" for k, v in dropped.items())
            )
        return cls(specs=specs, dropped=dropped)

    # -- encoding -----------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [s.name for s in self.specs]

    @property
    def categorical_indexes(self) -> list[int]:
        return [i for i, s in enumerate(self.specs) if s.kind == "category"]

    def _codes(self, spec: ColumnSpec, column: Column, rows: np.ndarray) -> np.ndarray:
        index = {level: code for code, level in enumerate(spec.levels)}
        other = spec.other_code
        return np.array(
            [np.nan if (v := column.labels[i]) is None else index.get(v, other) for i in rows],
            dtype=np.float64,
        )

    def boosting_matrix(self, columns: dict[str, Column], rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), len(self.specs)), dtype=np.float64)
        for j, spec in enumerate(self.specs):
            column = columns[spec.name]
            if spec.kind == "numeric":
                assert column.numbers is not None
                out[:, j] = column.numbers[rows]
            else:
                out[:, j] = self._codes(spec, column, rows)
        return out

    def linear_matrix(self, columns: dict[str, Column], rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
        parts: list[np.ndarray] = []
        names: list[str] = []
        for spec in self.specs:
            column = columns[spec.name]
            if spec.kind == "numeric":
                assert column.numbers is not None
                values = column.numbers[rows]
                missing = np.isnan(values)
                parts.append(((np.where(missing, spec.median, values) - spec.mean) / spec.scale)[:, None])
                names.append(spec.name)
                if spec.has_missing:
                    parts.append(missing.astype(np.float64)[:, None])
                    names.append(f"{spec.name} missing")
                continue
            codes = self._codes(spec, column, rows)
            width = len(spec.levels) + 2  # levels, other, missing
            onehot = np.zeros((len(rows), width), dtype=np.float64)
            slots = np.where(np.isnan(codes), width - 1, codes).astype(np.int64)
            onehot[np.arange(len(rows)), slots] = 1.0
            parts.append(onehot)
            names += [f"{spec.name}={level}" for level in spec.levels]
            names += [f"{spec.name}=other", f"{spec.name} missing"]
        return np.hstack(parts), names

    # -- storage ------------------------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        return {
            "specs": [s.__dict__ for s in self.specs],
            "dropped": self.dropped,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Encoder:
        return cls(specs=[ColumnSpec(**s) for s in data["specs"]], dropped=dict(data.get("dropped", {})))
