"""Model contributions in the words a sales rep reads: "visited pricing 3× this week +12%".

Each feature's SHAP value (LightGBM's pred_contrib, in log-odds) becomes the change in
probability it makes: p(all contributions) − p(all but this one), so the sign and size read
as "this pushed the chance of a won deal up by 12 points"."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_EVENT_WORDS = {
    "ad_click": ("clicked an ad", "ad clicks"),
    "page_view": ("viewed pages", "page views"),
    "call": ("called", "calls"),
    "form_submit": ("submitted a form", "form submissions"),
    "email_open": ("opened emails", "email opens"),
    "email_click": ("clicked emails", "email clicks"),
    "content_download": ("downloaded content", "downloads"),
    "webinar_attended": ("attended a webinar", "webinars"),
    "meeting_booked": ("booked a meeting", "meetings booked"),
    "pricing_view": ("visited pricing", "pricing visits"),
}
_WHEN = {7: "this week", 30: "in the last 30 days", 90: "in the last 90 days"}
_STATIC = {
    "persona": "persona is {v}",
    "seniority": "seniority: {v}",
    "industry": "industry is {v}",
    "country": "based in {v}",
    "channel": "came in through {v}",
    "lifecycle_stage": "stage is {v} (filled by sales)",
    "has_owner": "owner assigned: {v} (filled by sales)",
}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def phrase(feature: str, value: Any) -> str:
    """One feature and its value in words."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    base, _, window = feature.rpartition("_")
    if window.endswith("d") and window[:-1].isdigit() and base in _EVENT_WORDS:
        did, plural = _EVENT_WORDS[base]
        when = _WHEN.get(int(window[:-1]), f"in the last {window[:-1]} days")
        count = 0 if missing else int(value)
        return f"{did} {count}× {when}" if count else f"no {plural} {when}"
    if feature == "company_size":
        return "company size unknown" if missing else f"company has {int(value):,} employees"
    if feature == "annual_revenue":
        return "revenue unknown" if missing else f"annual revenue {float(value):,.0f}"
    if feature == "email_kind":
        return {"free_mail": "uses a free-mail address", "work": "uses a work email"}.get(
            str(value), "no email"
        )
    if feature == "sales_activities":
        return f"{0 if missing else int(value)} sales activities logged (filled by sales)"
    template = _STATIC.get(feature)
    if template:
        return f"{feature.replace('_', ' ')} unknown" if missing else template.format(v=value)
    return f"{feature} = {value}"


def reasons_from(
    contributions: np.ndarray, names: list[str], values: list[Any], *, top: int = 4, min_effect: float = 0.005
) -> list[dict[str, Any]]:
    """The `top` largest contributions of one row (features…, base value last) as reasons."""
    total = float(contributions.sum())
    p = _sigmoid(total)
    effects = [(p - _sigmoid(total - float(c)), i) for i, c in enumerate(contributions[:-1])]
    effects.sort(key=lambda e: -abs(e[0]))
    out = []
    for effect, i in effects[:top]:
        if abs(effect) < min_effect:
            break
        out.append({"feature": names[i], "text": phrase(names[i], values[i]), "effect": round(effect, 4)})
    return out
