"""Scoring pages: settings (points rules, rescoring, training), the model card and the trait
correlation report. Views parse input, call one service or selector, and render."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.scoring import selectors, services
from closedloop.scoring.correlation import correlation_report
from closedloop.scoring.models import RuleKind
from closedloop.scoring.points_service import contacts_rescore
from closedloop.scoring.profile_service import agreement_draft_from_profile
from closedloop.tracking.models import EventType

FORM_FIELDS = ("kind", "name", "points", "condition", "event_type", "url_contains", "window_days",
               "half_life_days", "max_points", "position")  # fmt: skip


def _form_data(request: HttpRequest) -> dict[str, Any]:
    data: dict[str, Any] = {f: request.POST.get(f, "") for f in FORM_FIELDS}
    data["is_active"] = request.POST.get("is_active") == "on"
    return data


def _settings_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    model = selectors.scoring_model_latest()
    rules = list(selectors.points_rule_list())
    return {
        "fit_rules": [r for r in rules if r.kind == RuleKind.FIT],
        "engagement_rules": [r for r in rules if r.kind == RuleKind.ENGAGEMENT],
        "model": model,
        "card": selectors.model_card(model=model) if model else None,
        "last_run": selectors.rescore_run_latest(),
        "can_manage": request.user.has_role(Permission.MANAGE_SCORING),  # type: ignore[union-attr]
        "kinds": RuleKind.choices,
        "event_types": EventType.choices,
        "form": extra.pop("form", {"kind": "fit", "window_days": 30, "is_active": True}),
        "errors": extra.pop("errors", {}),
        **extra,
    }


@requires(Permission.VIEW_SCORING)
def scoring_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "scoring/settings.html", _settings_context(request))


@require_POST
@requires(Permission.MANAGE_SCORING)
def rule_create(request: HttpRequest) -> HttpResponse:
    data = _form_data(request)
    try:
        rule = services.points_rule_create(by=request.user, **data)
    except ValidationError as exc:
        context = _settings_context(request, form=data, errors=exc.message_dict)
        return render(request, "scoring/settings.html", context, status=422)
    messages.success(request, f"Added “{rule.name}”. Rescore to apply it to every contact.")
    return redirect("scoring_settings")


@requires(Permission.MANAGE_SCORING)
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.points_rule_get(rule_id=rule_id)
    if rule is None:
        raise Http404("No such points rule.")
    if request.method == "POST":
        data = _form_data(request)
        try:
            services.points_rule_update(rule=rule, by=request.user, **data)
        except ValidationError as exc:
            context = {"rule": rule, "form": data, "errors": exc.message_dict, "kinds": RuleKind.choices,
                       "event_types": EventType.choices}  # fmt: skip
            return render(request, "scoring/rule_edit.html", context, status=422)
        messages.success(request, f"Saved “{data['name']}”. Rescore to apply the change.")
        return redirect("scoring_settings")
    form = {f: getattr(rule, f) for f in (*FORM_FIELDS, "is_active")}
    context = {
        "rule": rule,
        "form": form,
        "errors": {},
        "kinds": RuleKind.choices,
        "event_types": EventType.choices,
    }
    return render(request, "scoring/rule_edit.html", context)


@require_POST
@requires(Permission.MANAGE_SCORING)
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.points_rule_get(rule_id=rule_id)
    if rule is None:
        raise Http404("No such points rule.")
    services.points_rule_delete(rule=rule, by=request.user)
    messages.success(request, f"Deleted “{rule.name}”.")
    return redirect("scoring_settings")


@require_POST
@requires(Permission.MANAGE_SCORING)
def rescore(request: HttpRequest) -> HttpResponse:
    result = contacts_rescore(by=request.user)
    messages.success(
        request,
        f"Rescored {result.scored} contacts in {result.seconds:.1f} s; {result.changed} scores changed.",
    )
    return redirect("scoring_settings")


@require_POST
@requires(Permission.MANAGE_SCORING)
def model_train(request: HttpRequest) -> HttpResponse:
    model = services.scoring_model_train(by=request.user)
    (messages.success if model.status == "trained" else messages.warning)(request, model.explanation)
    return redirect("scoring_model")


@requires(Permission.VIEW_SCORING)
def model_card(request: HttpRequest) -> HttpResponse:
    model = selectors.scoring_model_latest()
    context = {
        "card": selectors.model_card(model=model) if model else None,
        "history": selectors.scoring_model_list(),
        "can_manage": request.user.has_role(Permission.MANAGE_SCORING),  # type: ignore[union-attr]
    }
    return render(request, "scoring/model_card.html", context)


@requires(Permission.VIEW_SCORING)
def trait_report(request: HttpRequest) -> HttpResponse:
    report = correlation_report()
    chart = {
        s["stage"]: [{"label": t["label"], "or": t["odds_ratio"], "low": t["ci_low"], "high": t["ci_high"]}
                     for t in [*s["positive"], *reversed(s["negative"])]]
        for s in report["stages"]
    }  # fmt: skip
    context = {
        "report": report,
        "chart": chart,
        "can_propose": request.user.has_role(Permission.MANAGE_SCORING),  # type: ignore[union-attr]
    }
    return render(request, "scoring/traits.html", context)


@require_POST
@requires(Permission.MANAGE_SCORING)
def profile_propose(request: HttpRequest) -> HttpResponse:
    stage = request.POST.get("stage", "mql")
    try:
        draft = agreement_draft_from_profile(report=correlation_report(), stage=stage, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("scoring_traits")
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("scoring_traits")
    messages.success(
        request, f"Drafted agreement v{draft.number} from the ideal lead profile. Its backtest is below."
    )
    return redirect("agreement_backtest", number=draft.number)
