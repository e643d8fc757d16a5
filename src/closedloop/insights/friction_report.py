"""Friction sentences (engine.friction): which stage transition lost the most value in the period
against the periods of the same length before it, who owns it in the agreement, and what sales
said when rejecting those leads — facts without blame (seed 001).

Conversion is judged within 30 days of entering A, in this period and the baseline alike;
entrants whose 30 days are not over yet are counted as still in progress.

The owner of A → B is the team the active agreement makes responsible for stage B (the team that
gets contacts into it). Rejections are handoffs rejected in the period: the lead was at stage A
and did not move on to the next stage.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

import pyarrow as pa

from closedloop.agreement.selectors import agreement_terms_get
from closedloop.crm.lifecycle import Stage
from closedloop.engine.friction import FrictionReport, friction_run
from closedloop.handoff.selectors import handoff_rejected_list, rejection_reasons_active
from closedloop.insights import datasets
from closedloop.insights.funnel_report import stage_steps
from closedloop.insights.report_scope import ReportScope, only_contacts

BASELINE_PERIODS = 4
# Judge every cohort on the same 30 days after entering A, so the baseline's old cohorts (which
# had months to convert) are not compared with this period's young ones.
WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class FrictionView:
    report: FrictionReport | None
    problem: str | None  # why there is no diagnosis (e.g. no deal won yet to value a customer)

    def csv_header(self) -> list[str]:
        return [
            "from_stage",
            "to_stage",
            "owner",
            "entered",
            "converted",
            "in_progress",
            "current_rate_pct",
            "baseline_rate_pct",
            "lost_conversions",
            "lost_value",
            "top_reason",
            "sentence",
        ]

    def csv_rows(self) -> list[list[object]]:
        if self.report is None:
            return []
        return [
            [
                t.from_stage,
                t.to_stage,
                t.owner,
                t.entered,
                t.converted,
                t.in_progress,
                None if t.current_rate is None else round(100 * t.current_rate, 1),
                None if t.baseline_rate is None else round(100 * t.baseline_rate, 1),
                None if t.lost_conversions is None else round(t.lost_conversions, 1),
                None if t.lost_value is None else round(t.lost_value, 2),
                t.top_reason,
                t.sentence,
            ]
            for t in self.report.ranked()
        ]


def _rejections(scope: ReportScope, stages: tuple[str, ...], ids: pa.Array | None) -> pa.Table:
    since, until = scope.period.datetime_range()
    labels = dict(rejection_reasons_active().values_list("code", "label"))
    following = dict(itertools.pairwise(stages))
    allowed = None if ids is None else set(ids.to_pylist())
    rows = [
        (stage, following[stage], labels.get(code, code) or "no reason given")
        for stage, code, contact_id in handoff_rejected_list(start=since, end=until).values_list(
            "stage", "reason_code", "contact_id"
        )
        if stage in following and (allowed is None or contact_id in allowed)
    ]
    return pa.table(
        {
            "from_stage": pa.array([r[0] for r in rows], pa.string()),
            "to_stage": pa.array([r[1] for r in rows], pa.string()),
            "reason": pa.array([r[2] for r in rows], pa.string()),
        }
    )


def friction_report(*, scope: ReportScope) -> FrictionView:
    ids = scope.contact_ids(datasets.contacts_table())
    transitions = only_contacts(datasets.transitions_table(), ids)
    deals = only_contacts(datasets.deals_table(), ids)
    stages = stage_steps()
    terms = agreement_terms_get()
    owners = (
        {(a, b): terms.owners[b] for a, b in itertools.pairwise(stages) if b in terms.owners} if terms else {}
    )
    try:
        report = friction_run(
            transitions,
            scope.engine_period(),
            baseline=BASELINE_PERIODS,
            deals=deals,
            owners=owners,
            rejections=_rejections(scope, stages, ids),
            stages=stages,
            window=WINDOW,
            as_of=scope.as_of(),
            labels=dict(Stage.choices),
        )
    except ValueError as err:
        return FrictionView(None, str(err))
    return FrictionView(report, None)
