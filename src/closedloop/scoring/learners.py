"""The two learners every scoring model is built from: LightGBM gradient boosting with early
stopping on an inner validation split, and an L2-regularised logistic regression as the
baseline it has to beat. Pure functions over numpy arrays; no Django."""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

# Tuned on public lead-response data (docs/scoring.md): shallow-ish trees, strong smoothing of
# category levels so a rare job title cannot carry a split on its own.
BOOSTING_PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 20,
    "min_data_per_group": 50,
    "cat_l2": 10.0,
    "cat_smooth": 10.0,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "verbose": -1,
}
MAX_ROUNDS = 2000
PATIENCE = 50
INNER_VALIDATION = 0.15


def _threads() -> int:
    """OpenMP threads for LightGBM: CLOSEDLOOP_SCORING_THREADS, else half the usable cores.

    OpenMP threads spin while they wait for each other; on a small shared machine every core
    taken by the web server or a worker turns that into a stall (measured: 100 rounds on 30,000
    rows took 7 s with one thread and 196 s with two on a busy two-core machine)."""
    configured = os.environ.get("CLOSEDLOOP_SCORING_THREADS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(8, len(os.sched_getaffinity(0)) // 2))


def _small_data_params(rows: int) -> dict[str, int]:
    # A young company has a few hundred closed deals: leaves of 20 rows and category groups of 50
    # would leave the trees without a single split, so the minimums shrink with the data.
    return {
        "min_child_samples": max(5, min(20, rows // 20)),
        "min_data_per_group": max(5, min(50, rows // 10)),
    }


@dataclass
class Boosted:
    booster: lgb.Booster
    best_iteration: int
    seconds: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.booster.predict(x, num_iteration=self.best_iteration)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """SHAP values in log-odds, one column per feature plus the base value last."""
        return self.booster.predict(x, num_iteration=self.best_iteration, pred_contrib=True)


def boosting_train(
    x: np.ndarray, y: np.ndarray, *, categorical: list[int], names: list[str], seed: int
) -> Boosted:
    """Early stopping on a stratified inner split of the training rows (never the held-out rows)."""
    started = time.perf_counter()
    stratify = y if min(np.bincount(y.astype(int), minlength=2)) >= 2 else None
    fit_idx, val_idx = train_test_split(
        np.arange(len(y)), test_size=INNER_VALIDATION, stratify=stratify, random_state=seed
    )
    safe_names = [f"f{i}" for i in range(len(names))]  # LightGBM refuses some characters in names
    params = {**BOOSTING_PARAMS, **_small_data_params(len(fit_idx)), "seed": seed, "num_threads": _threads()}
    train_set = lgb.Dataset(
        x[fit_idx], y[fit_idx], feature_name=safe_names, categorical_feature=categorical, free_raw_data=False
    )
    valid_set = lgb.Dataset(x[val_idx], y[val_idx], reference=train_set)
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(PATIENCE, verbose=False)],
    )
    best = booster.best_iteration or booster.current_iteration()
    return Boosted(booster=booster, best_iteration=best, seconds=time.perf_counter() - started)


@dataclass
class Linear:
    model: LogisticRegression
    seconds: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(x)[:, 1]


def logistic_train(x: np.ndarray, y: np.ndarray, *, c: float = 1.0) -> Linear:
    started = time.perf_counter()
    model = LogisticRegression(C=c, max_iter=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on near-separable columns
        model.fit(x, y)
    return Linear(model=model, seconds=time.perf_counter() - started)
