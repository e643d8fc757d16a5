"""The predictive score: trained on the company's own won vs lost deals, calibrated, explained.

- Rows: contacts with a closed deal, described as of their first deal's opening (predictive_features).
- Split (stratified): 50% training (LightGBM, early stopping on an inner split; logistic regression
  as the baseline), 25% calibration (isotonic regression maps raw scores to observed win rates),
  25% held out for the model card's AUC, log loss and calibration plot.
- Leakage guard: sales-filled fields stay out unless asked for; any feature that on its own
  separates won from lost almost perfectly (AUC ≥ 0.95 on the training rows) is dropped and flagged.
- Cold start: fewer than `MIN_CONVERSIONS` won or lost deals → no model; scores are points only
  and every contact's explanation says so.
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from typing import Any

import lightgbm as lgb
import numpy as np
from django.db import transaction
from django.utils import timezone
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from closedloop.audit.services import audit_record
from closedloop.scoring.features import Encoder
from closedloop.scoring.learners import boosting_train, logistic_train
from closedloop.scoring.models import ContactScore, ScoringModel
from closedloop.scoring.predictive_features import SALES_FIELDS, feature_columns, labelled_contacts
from closedloop.scoring.reasons import reasons_from
from closedloop.scoring.tabular import Column

MIN_CONVERSIONS = 30  # of each outcome; fewer cannot hold out enough rows to trust an AUC
LEAK_AUC = 0.95
CALIBRATION_BINS = 10
WRITE_BATCH = 1000


def leakage_suspects(columns: dict[str, Column], y: np.ndarray) -> dict[str, float]:
    """Features that alone rank won above lost almost perfectly: name → single-feature AUC."""
    suspects: dict[str, float] = {}
    for name, column in columns.items():
        if column.kind == "numeric":
            assert column.numbers is not None
            values = np.nan_to_num(column.numbers, nan=-1e18)
        else:
            labels = column.labels
            # Rank each level by its win rate: the best a single category column can do.
            rate: dict[Any, list[int]] = {}
            for label, outcome in zip(labels, y, strict=True):
                rate.setdefault(label, []).append(int(outcome))
            means = {k: float(np.mean(v)) for k, v in rate.items()}
            values = np.array([means[label] for label in labels])
        if len(np.unique(values)) < 2:
            continue
        auc = float(roc_auc_score(y, values))
        auc = max(auc, 1 - auc)
        if auc >= LEAK_AUC:
            suspects[name] = round(auc, 4)
    return suspects


def _subset(columns: dict[str, Column], rows: np.ndarray) -> dict[str, Column]:
    out = {}
    for name, c in columns.items():
        if c.kind == "numeric":
            assert c.numbers is not None
            out[name] = Column(name=name, kind="numeric", numbers=c.numbers[rows])
        else:
            out[name] = Column(name=name, kind="category", labels=[c.labels[i] for i in rows])
    return out


def _calibration_bins(p: np.ndarray, y: np.ndarray) -> list[dict[str, float]]:
    edges = np.linspace(0, 1, CALIBRATION_BINS + 1)
    out = []
    for low, high in itertools.pairwise(edges):
        inside = (p >= low) & ((p < high) if high < 1 else (p <= high))
        if inside.any():
            out.append({"low": round(float(low), 2), "high": round(float(high), 2), "predicted": round(float(p[inside].mean()), 4),
                        "observed": round(float(y[inside].mean()), 4), "count": int(inside.sum())})  # fmt: skip
    return out


def _cold_start(
    *, by: Any, now: datetime, won: int, lost: int, needed: int, reason: str = ""
) -> ScoringModel:
    explanation = (
        f"Not enough history for a predictive score: {won} won and {lost} lost deals, at least {needed} "
        "of each are needed. Scores are points only until then."
    )
    if reason:
        explanation = f"No predictive score: the won and lost contacts do not differ in anything recorded ({reason}). Scores are points only."
    with transaction.atomic():
        model = ScoringModel.objects.create(
            status=ScoringModel.Status.COLD_START, trained_at=now, trained_by=by if getattr(by, "pk", None) else None,
            explanation=explanation, training_rows=won + lost, won=won, lost=lost,
            metrics={"min_conversions": needed},
        )  # fmt: skip
        ContactScore.objects.exclude(probability=None).update(
            probability=None, reasons=[], model=None, predicted_at=None
        )
        audit_record(actor=by, action="scoring.model_train", obj=model, summary=explanation, at=now)
    return model


def model_train(
    *, by: Any = None, now: datetime | None = None, min_conversions: int | None = None,
    include_sales_fields: bool = False, seed: int = 0,
) -> ScoringModel:  # fmt: skip
    now = now or timezone.now()
    needed = min_conversions or MIN_CONVERSIONS
    ids, y, opened = labelled_contacts()
    won, lost = int(y.sum()), int(len(y) - y.sum())
    if won < needed or lost < needed:
        return _cold_start(by=by, now=now, won=won, lost=lost, needed=needed)
    started = time.perf_counter()
    ids, columns = feature_columns(contact_ids=ids, at=opened, include_sales_fields=include_sales_fields)
    idx = np.arange(len(ids))
    train, rest = train_test_split(idx, test_size=0.5, stratify=y, random_state=seed)
    calib, test = train_test_split(rest, test_size=0.5, stratify=y[rest], random_state=seed)

    suspects = leakage_suspects(_subset(columns, train), y[train])
    features = {n: c for n, c in columns.items() if n not in suspects}
    try:
        encoder = Encoder.fit(features, train)
    except ValueError as exc:  # every feature constant: nothing to learn from yet
        return _cold_start(by=by, now=now, won=won, lost=lost, needed=needed, reason=str(exc))
    boosted = boosting_train(
        encoder.boosting_matrix(features, train), y[train], categorical=encoder.categorical_indexes,
        names=encoder.names, seed=seed,
    )  # fmt: skip
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    iso.fit(boosted.predict(encoder.boosting_matrix(features, calib)), y[calib])
    raw_test = boosted.predict(encoder.boosting_matrix(features, test))
    p_test = np.clip(iso.predict(raw_test), 1e-4, 1 - 1e-4)
    l_train, _ = encoder.linear_matrix(features, train)
    l_test, _ = encoder.linear_matrix(features, test)
    baseline = logistic_train(l_train, y[train]).predict(l_test)

    gains = boosted.booster.feature_importance(importance_type="gain", iteration=boosted.best_iteration)
    share = gains / gains.sum() if gains.sum() > 0 else gains
    top = sorted(zip(encoder.names, share, strict=True), key=lambda p: -p[1])[:10]
    leakage = {
        "excluded_sales_fields": {} if include_sales_fields else dict(SALES_FIELDS),
        "included_sales_fields": list(SALES_FIELDS) if include_sales_fields else [],
        "suspected": suspects,
    }
    metrics = {
        "auc": round(float(roc_auc_score(y[test], p_test)), 4),
        "raw_auc": round(float(roc_auc_score(y[test], raw_test)), 4),
        "log_loss": round(float(log_loss(y[test], p_test, labels=[0, 1])), 4),
        "baseline_auc": round(float(roc_auc_score(y[test], baseline)), 4),
        "baseline_log_loss": round(float(log_loss(y[test], baseline, labels=[0, 1])), 4),
        "rows": {"train": len(train), "calibration": len(calib), "test": len(test)},
        "calibration": _calibration_bins(p_test, y[test]),
        "top_features": [{"feature": n, "importance": round(float(s), 4)} for n, s in top],
        "best_iteration": boosted.best_iteration,
        "training_seconds": round(time.perf_counter() - started, 3),
        "leakage": leakage,
        "features": encoder.names,
    }
    explanation = (
        f"Trained on {len(ids)} contacts with a closed deal ({won} won, {lost} lost); held-out AUC "
        f"{metrics['auc']:.2f} (logistic baseline {metrics['baseline_auc']:.2f})."
    )
    if suspects:
        explanation += " Left out as suspected leakage: " + ", ".join(sorted(suspects)) + "."
    with transaction.atomic():
        model = ScoringModel.objects.create(
            status=ScoringModel.Status.TRAINED, trained_at=now, trained_by=by if getattr(by, "pk", None) else None,
            explanation=explanation, training_rows=len(ids), won=won, lost=lost, metrics=metrics,
            booster=boosted.booster.model_to_string(num_iteration=boosted.best_iteration),
            encoder={**encoder.as_dict(), "include_sales_fields": include_sales_fields},
            calibration={"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()},
        )  # fmt: skip
        audit_record(actor=by, action="scoring.model_train", obj=model, summary=explanation,
                     changes={"auc": metrics["auc"], "won": won, "lost": lost}, at=now)  # fmt: skip
    predictions_refresh(model=model, now=now)
    return model


def latest_model() -> ScoringModel | None:
    return ScoringModel.objects.order_by("-trained_at", "-id").first()


class Predictor:
    """A stored model, ready to score: booster, encoder and calibration rebuilt from the row."""

    def __init__(self, model: ScoringModel) -> None:
        self.model = model
        self.booster = lgb.Booster(model_str=model.booster)
        self.encoder = Encoder.from_dict(model.encoder)
        self.include_sales_fields = bool(model.encoder.get("include_sales_fields"))
        self.cal_x = np.asarray(model.calibration["x"])
        self.cal_y = np.asarray(model.calibration["y"])

    def score(self, columns: dict[str, Column]) -> tuple[np.ndarray, np.ndarray]:
        """(calibrated probabilities, contributions) for every row of `columns`."""
        rows = np.arange(len(next(iter(columns.values()))))
        x = self.encoder.boosting_matrix(columns, rows)
        raw = self.booster.predict(x)
        return np.interp(raw, self.cal_x, self.cal_y), self.booster.predict(x, pred_contrib=True)

    def raw_values(self, columns: dict[str, Column], i: int) -> list[Any]:
        out = []
        for spec in self.encoder.specs:
            c = columns[spec.name]
            out.append(c.numbers[i] if c.numbers is not None else c.labels[i])
        return out


def predictions_refresh(*, model: ScoringModel | None = None, now: datetime | None = None,
                        contact_ids: list[int] | None = None) -> int:  # fmt: skip
    """Score every contact (or `contact_ids`) with the model as of now; returns contacts scored."""
    model = model or latest_model()
    if model is None or model.status != ScoringModel.Status.TRAINED:
        return 0
    now = now or timezone.now()
    predictor = Predictor(model)
    ids, columns = feature_columns(
        contact_ids=contact_ids, at=now, include_sales_fields=predictor.include_sales_fields
    )
    if not ids:
        return 0
    probabilities, contributions = predictor.score(columns)
    names = predictor.encoder.names
    rows = [
        ContactScore(contact_id=cid, probability=round(float(probabilities[i]), 4), model=model, predicted_at=now,
                     reasons=reasons_from(contributions[i], names, predictor.raw_values(columns, i)))
        for i, cid in enumerate(ids)
    ]  # fmt: skip
    with transaction.atomic():
        ContactScore.objects.bulk_create(
            rows, batch_size=WRITE_BATCH, update_conflicts=True, unique_fields=["contact"],
            update_fields=["probability", "reasons", "model", "predicted_at"],
        )  # fmt: skip
    return len(rows)
