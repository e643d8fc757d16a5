"""Predictive scoring: leakage guard, cold start, calibrated probabilities, reasons in words and
a stored model that scores again after a reload."""

from datetime import timedelta

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied

from closedloop.audit.models import AuditEntry
from closedloop.crm.models import Contact
from closedloop.scoring.models import ContactScore, ScoringModel
from closedloop.scoring.predictive_features import feature_columns
from closedloop.scoring.predictive_service import Predictor, leakage_suspects, model_train
from closedloop.scoring.selectors import model_card, score_explanation_for
from closedloop.scoring.services import scoring_model_train
from closedloop.scoring.tabular import Column
from closedloop.scoring.tests.builders import history
from closedloop.scoring.tests.conftest import NOW


def test_events_after_the_moment_of_prediction_are_not_counted(db):
    ids = history(won=1, lost=1)
    contact_id = ids["won"][0]
    opened = NOW - timedelta(days=30)
    _, before = feature_columns(contact_ids=[contact_id], at=[opened])
    _, after = feature_columns(contact_ids=[contact_id], at=[NOW])
    # The meeting was booked two days after the deal opened: invisible at the deal's opening.
    assert before["meeting_booked_90d"].numbers[0] == 0
    assert after["meeting_booked_90d"].numbers[0] == 1
    assert "lifecycle_stage" not in before


def test_cold_start_falls_back_to_points_and_says_why(maya):
    history(won=5, lost=7)
    model = scoring_model_train(by=maya, now=NOW)
    assert model.status == ScoringModel.Status.COLD_START
    assert model.explanation.startswith("Not enough history for a predictive score: 5 won and 7 lost deals")
    assert model.booster == ""
    contact = Contact.objects.first()
    explained = score_explanation_for(contact=contact)
    assert explained.probability is None
    assert "5 won and 7 lost" in explained.note and "points only" in explained.note
    assert AuditEntry.objects.filter(action="scoring.model_train").count() == 1


def test_sales_rep_may_not_train(alex):
    with pytest.raises(PermissionDenied):
        scoring_model_train(by=alex)


def test_leakage_suspect_is_a_feature_that_alone_gives_the_answer():
    y = np.array([1, 0] * 50)
    columns = {
        "stage": Column("stage", "category", labels=["customer" if v else "sql" for v in y]),
        "noise": Column("noise", "numeric", numbers=np.random.default_rng(1).normal(size=100)),
    }
    assert leakage_suspects(columns, y) == {"stage": 1.0}


@pytest.fixture
def trained(maya):
    ids = history(won=60, lost=60, open_leads=4)
    return ids, model_train(by=maya, now=NOW, min_conversions=30)


def test_trained_model_excludes_sales_fields_and_scores_every_contact(trained):
    _ids, model = trained
    assert model.status == ScoringModel.Status.TRAINED
    card = model_card(model=model)
    assert (card["won"], card["lost"], card["training_rows"]) == (60, 60, 120)
    assert card["rows"] == {"train": 60, "calibration": 30, "test": 30}
    assert set(card["excluded_sales_fields"]) == {"lifecycle_stage", "has_owner", "sales_activities"}
    assert "lifecycle_stage" not in model.metrics["features"]
    assert card["suspected_leakage"] == {}
    # The planted signals (webinar before the deal, persona) are worth something: AUC above chance.
    assert card["auc"] > 0.6
    assert sum(b["count"] for b in card["calibration"]) == 30
    assert ContactScore.objects.filter(probability__isnull=False).count() == 124
    p = ContactScore.objects.values_list("probability", flat=True)
    assert all(0 <= v <= 1 for v in p)


def test_reasons_are_in_plain_words(trained):
    ids, _ = trained
    won_ids = set(ids["won"])
    reasons = [r["text"] for s in ContactScore.objects.filter(contact_id__in=won_ids) for r in s.reasons]
    assert any(t.startswith("attended a webinar 1× ") or t.startswith("no webinars ") for t in reasons)
    assert any(t in ("persona is ops_manager", "persona is student") for t in reasons)


def test_stored_model_reloads_and_scores_the_same(trained):
    _, model = trained
    fresh = ScoringModel.objects.get(pk=model.pk)
    ids, columns = feature_columns(contact_ids=None, at=NOW)
    probabilities, contributions = Predictor(fresh).score(columns)
    stored = dict(ContactScore.objects.values_list("contact_id", "probability"))
    assert [round(float(p), 4) for p in probabilities] == [stored[i] for i in ids]
    # SHAP contributions add up to the raw log-odds.
    raw = Predictor(fresh).booster.predict(
        Predictor(fresh).encoder.boosting_matrix(columns, np.arange(len(ids))), raw_score=True
    )
    assert np.allclose(contributions.sum(axis=1), raw)


def test_including_sales_fields_trips_the_automatic_leak_check(maya):
    history(won=40, lost=40)
    model = model_train(by=maya, now=NOW, min_conversions=30, include_sales_fields=True)
    suspected = model.metrics["leakage"]["suspected"]
    assert suspected["lifecycle_stage"] == 1.0
    assert "lifecycle_stage" not in model.metrics["features"]
    assert "suspected leakage: lifecycle_stage" in model.explanation
