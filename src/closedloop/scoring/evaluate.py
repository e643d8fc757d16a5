"""`closedloop score evaluate`: how well would a scoring model rank *these* leads?

Trains on a stratified 75% of a CSV's rows, scores the other 25% and reports the held-out AUC
and log loss of LightGBM and of the logistic-regression baseline, plus the features that carried
the boosted model. Pure Python over the CSV; no database.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from closedloop.scoring.features import Encoder
from closedloop.scoring.learners import boosting_train, logistic_train
from closedloop.scoring.tabular import Column, Table, TableError, table_read

HELD_OUT = 0.25
# Values that mean "converted" in exports; when both classes are unknown words, the rarer class
# is the positive one (conversions are the rare outcome in lead data).
POSITIVE_WORDS = ("yes", "y", "true", "t", "1", "won", "converted", "closed won", "success", "subscribed")
MIN_CLASS_ROWS = 10  # per class: fewer cannot be split into training, validation and held-out rows
TOP_FEATURES = 10


def target_vector(column: Column) -> tuple[np.ndarray, np.ndarray, str]:
    """(rows with a target, 0/1 labels for them, the positive label). Raises TableError."""
    if column.kind == "numeric":
        assert column.numbers is not None
        keep = np.flatnonzero(~np.isnan(column.numbers))
        raw = [format(v, "g") for v in column.numbers[keep]]
    else:
        keep = np.array([i for i, v in enumerate(column.labels) if v is not None], dtype=np.int64)
        raw = [str(column.labels[i]) for i in keep]
    values = sorted(set(raw))
    if not values:
        raise TableError(f"target column '{column.name}' is empty in every row")
    if len(values) == 1:
        raise TableError(
            f"target column '{column.name}' has one value only ({values[0]!r}); a score needs rows "
            "that converted and rows that did not"
        )
    if len(values) > 2:
        shown = ", ".join(repr(v) for v in values[:6]) + (" …" if len(values) > 6 else "")
        raise TableError(
            f"target column '{column.name}' has {len(values)} values ({shown}); it must have exactly two, "
            "e.g. yes/no or 1/0"
        )
    known = [v for v in values if v.strip().lower() in POSITIVE_WORDS]
    positive = known[0] if len(known) == 1 else min(values, key=lambda v: (raw.count(v), v))
    labels = np.array([1 if v == positive else 0 for v in raw], dtype=np.int64)
    return keep, labels, positive


def _features_of(table: Table, target: str, exclude: list[str]) -> dict[str, Column]:
    unknown = [c for c in exclude if c not in table.columns]
    if unknown:
        raise TableError(
            f"--exclude names column(s) not in the file: {', '.join(unknown)}; "
            f"columns are: {', '.join(table.columns)}"
        )
    return {n: c for n, c in table.columns.items() if n != target and n not in exclude}


def evaluate_table(
    table: Table, *, target: str, exclude: list[str] | None = None, seed: int = 0
) -> dict[str, Any]:
    if target not in table.columns:
        raise TableError(
            f"target column '{target}' is not in the file; columns are: {', '.join(table.columns)}"
        )
    exclude = exclude or []
    features = _features_of(table, target, exclude)
    if not features:
        raise TableError("no feature columns left after removing the target and the excluded columns")
    rows, y, positive = target_vector(table.columns[target])
    counts = np.bincount(y, minlength=2)
    if counts.min() < MIN_CLASS_ROWS:
        raise TableError(
            f"target column '{target}' has only {int(counts.min())} rows of its rarer class; at least "
            f"{MIN_CLASS_ROWS} of each class are needed to train and hold out rows"
        )
    started = time.perf_counter()
    train_pos, test_pos = train_test_split(
        np.arange(len(rows)), test_size=HELD_OUT, stratify=y, random_state=seed
    )
    train_rows, test_rows = rows[train_pos], rows[test_pos]
    y_train, y_test = y[train_pos], y[test_pos]
    try:
        encoder = Encoder.fit(features, train_rows)
    except ValueError as exc:
        raise TableError(str(exc)) from None

    x_train = encoder.boosting_matrix(features, train_rows)
    x_test = encoder.boosting_matrix(features, test_rows)
    boosted = boosting_train(
        x_train, y_train, categorical=encoder.categorical_indexes, names=encoder.names, seed=seed
    )
    p_boosted = boosted.predict(x_test)

    l_train, linear_names = encoder.linear_matrix(features, train_rows)
    l_test, _ = encoder.linear_matrix(features, test_rows)
    linear = logistic_train(l_train, y_train)
    p_linear = linear.predict(l_test)
    total_seconds = time.perf_counter() - started

    gains = boosted.booster.feature_importance(importance_type="gain", iteration=boosted.best_iteration)
    share = gains / gains.sum() if gains.sum() > 0 else gains
    top = sorted(zip(encoder.names, share, strict=True), key=lambda p: -p[1])[:TOP_FEATURES]
    coefs = linear.model.coef_[0]
    top_linear = sorted(zip(linear_names, coefs, strict=True), key=lambda p: -abs(p[1]))[:TOP_FEATURES]

    models = {
        "lightgbm": {
            "auc": round(float(roc_auc_score(y_test, p_boosted)), 4),
            "log_loss": round(float(log_loss(y_test, p_boosted, labels=[0, 1])), 4),
            "training_seconds": round(boosted.seconds, 3),
            "best_iteration": int(boosted.best_iteration),
        },
        "logistic_regression": {
            "auc": round(float(roc_auc_score(y_test, p_linear)), 4),
            "log_loss": round(float(log_loss(y_test, p_linear, labels=[0, 1])), 4),
            "training_seconds": round(linear.seconds, 3),
            "regularisation": "L2, C=1.0, standardised inputs",
        },
    }
    best = max(models, key=lambda m: models[m]["auc"])
    return {
        "target": target,
        "positive_label": positive,
        "positive_rate": round(float(y.mean()), 4),
        "rows": int(table.rows),
        "rows_with_target": len(rows),
        "train_rows": len(train_rows),
        "test_rows": len(test_rows),
        "seed": seed,
        "delimiter": table.delimiter,
        "features_used": encoder.names,
        "excluded": exclude,
        "dropped_columns": encoder.dropped,
        "auc": models[best]["auc"],
        "log_loss": models[best]["log_loss"],
        "best_model": best,
        "models": models,
        "top_features": [{"feature": n, "importance": round(float(s), 4)} for n, s in top],
        "top_features_logistic": [{"feature": n, "coefficient": round(float(c), 4)} for n, c in top_linear],
        "training_seconds": round(total_seconds, 3),
    }


def evaluate_csv(
    path: str | Path, *, target: str, exclude: list[str] | None = None, seed: int = 0
) -> dict[str, Any]:
    return evaluate_table(table_read(path), target=target, exclude=exclude, seed=seed)
