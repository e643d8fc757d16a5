"""Benchmark: lead scoring on the UCI bank marketing data (bank-full, 45,211 calls, target `y`,
without the leaky `duration`; Moro, Cortez & Rita, CC BY 4.0).

For each seed: `closedloop score evaluate`'s pipeline (stratified 75/25 split, LightGBM with early
stopping, logistic-regression baseline) — held-out AUC of both and their training times. Then
scoring throughput: every row scored by the trained LightGBM model *with* per-lead reasons
(pred_contrib → plain words), against the reference of the logistic regression's bare
`predict_proba` on the same rows in the same process. Run:

    .venv/bin/python bench/scoring.py [--csv PATH] [--seeds 0,1,2] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from closedloop.scoring.evaluate import evaluate_table, target_vector
from closedloop.scoring.features import Encoder
from closedloop.scoring.learners import boosting_train, logistic_train
from closedloop.scoring.reasons import reasons_from
from closedloop.scoring.tabular import table_read

DEFAULT_CSV = Path(__file__).resolve().parents[1].parent / "shared/datasets/uci_bank_marketing/bank-full.csv"


def throughput(table, *, seed: int) -> dict[str, float]:
    features = {n: c for n, c in table.columns.items() if n not in ("y", "duration")}
    rows, y, _ = target_vector(table.columns["y"])
    encoder = Encoder.fit(features, rows)
    x = encoder.boosting_matrix(features, rows)
    boosted = boosting_train(x, y, categorical=encoder.categorical_indexes, names=encoder.names, seed=seed)
    lx, _ = encoder.linear_matrix(features, rows)
    linear = logistic_train(lx, y)

    started = time.perf_counter()
    linear.predict(lx)
    reference = time.perf_counter() - started

    started = time.perf_counter()
    matrix = encoder.boosting_matrix(features, rows)
    boosted.predict(matrix)
    contributions = boosted.contributions(matrix)
    names = encoder.names
    for i in range(len(rows)):
        values = [
            features[n].numbers[i] if features[n].numbers is not None else features[n].labels[i]
            for n in names
        ]
        reasons_from(contributions[i], names, values)
    ours = time.perf_counter() - started
    return {
        "leads": len(rows),
        "lightgbm_with_reasons_leads_per_s": round(len(rows) / ours),
        "logistic_predict_leads_per_s": round(len(rows) / reference),
        "ratio": round(reference / ours, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default=str(DEFAULT_CSV))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--output")
    args = parser.parse_args()
    started = time.perf_counter()
    table = table_read(args.csv)
    read_seconds = time.perf_counter() - started
    runs = []
    for seed in (int(s) for s in args.seeds.split(",")):
        r = evaluate_table(table, target="y", exclude=["duration"], seed=seed)
        runs.append({
            "seed": seed,
            "lightgbm_auc": r["models"]["lightgbm"]["auc"],
            "logistic_auc": r["models"]["logistic_regression"]["auc"],
            "lightgbm_log_loss": r["models"]["lightgbm"]["log_loss"],
            "lightgbm_seconds": r["models"]["lightgbm"]["training_seconds"],
            "logistic_seconds": r["models"]["logistic_regression"]["training_seconds"],
            "best_iteration": r["models"]["lightgbm"]["best_iteration"],
        })  # fmt: skip
        print(json.dumps(runs[-1]))
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()[0]},
        "csv_read_seconds": round(read_seconds, 2),
        "rows": table.rows,
        "runs": runs,
        "mean_lightgbm_auc": round(float(np.mean([r["lightgbm_auc"] for r in runs])), 4),
        "min_lightgbm_auc": min(r["lightgbm_auc"] for r in runs),
        "mean_logistic_auc": round(float(np.mean([r["logistic_auc"] for r in runs])), 4),
        "throughput": throughput(table, seed=0),
    }
    print(json.dumps(result, indent=2))
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
