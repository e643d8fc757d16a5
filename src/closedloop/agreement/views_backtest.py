"""The backtest page: a version's stage rules replayed over stored history next to the active
version's, per stage and month, with the won revenue the draft would have missed or added."""

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.agreement import selectors
from closedloop.agreement.backtest_service import backtest_run
from closedloop.agreement.content import stage_label
from closedloop.engine.backtest import BASELINE, DRAFT, BacktestResult, StageOutcome
from closedloop.rules import RuleError


@dataclass(frozen=True)
class StageRow:
    stage: str
    label: str
    draft: StageOutcome | None
    baseline: StageOutcome | None
    months: list[tuple[Any, int | None, int | None]]  # (month, draft entries, baseline entries)


def stage_rows(result: BacktestResult) -> list[StageRow]:
    rows = []
    for stage in result.stages:
        draft, baseline = result.outcome(DRAFT, stage), result.outcome(BASELINE, stage)
        rows.append(
            StageRow(
                stage=stage,
                label=stage_label(stage),
                draft=draft,
                baseline=baseline,
                months=[
                    (
                        m,
                        result.entries(DRAFT, stage, m) if draft else None,
                        result.entries(BASELINE, stage, m) if baseline else None,
                    )
                    for m in result.months
                ],
            )
        )
    return rows


@requires(Permission.VIEW_AGREEMENT_VERSIONS)
def version_backtest(request: HttpRequest, number: int) -> HttpResponse:
    version = selectors.agreement_version_get(number=number)
    if version is None:
        raise Http404("No such agreement version.")
    context: dict[str, Any] = {"version": version, "error": "", "backtest": None}
    try:
        backtest = backtest_run(draft=version)
    except RuleError as exc:
        context["error"] = f"A rule of v{version.number} does not parse yet: {exc}"
    else:
        context["backtest"] = backtest
        if backtest is not None:
            result = backtest.result
            context["rows"] = stage_rows(result)
            context["sales_ready_label"] = stage_label(result.sales_ready_stage)
            context["volumes"] = [
                (m, d, b)
                for (m, d), (_, b) in zip(
                    result.sales_volume(DRAFT), result.sales_volume(BASELINE), strict=True
                )
            ]
    return render(request, "agreement/backtest.html", context)
