"""Template helpers for alarms: a readable view of an alarm's evidence. Formatting only; the
numbers come from the detectors."""

from typing import Any

from django import template

register = template.Library()


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "p_value" and isinstance(value, int | float):
        return "< 0.001" if value < 0.001 else f"{value:.3f}"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return " · ".join(f"{_label(k).lower()} {_value(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_value(key, v) for v in value)
    return str(value)


@register.filter
def evidence_view(evidence: Any) -> dict[str, Any]:
    """{"facts": [(label, text)], "tables": [{"label", "headers", "rows"}]}: scalars as a list of
    facts, lists of objects (the per-outcome steps, the waiting contacts) as tables."""
    facts: list[tuple[str, str]] = []
    tables: list[dict[str, Any]] = []
    if not isinstance(evidence, dict):
        return {"facts": facts, "tables": tables}
    for key, value in evidence.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            headers = list(dict.fromkeys(k for row in value for k in row))
            tables.append(
                {
                    "label": _label(key),
                    "headers": [_label(h) for h in headers],
                    "rows": [[_value(h, row.get(h)) for h in headers] for row in value],
                }
            )
        else:
            facts.append((_label(key), _value(key, value)))
    return {"facts": facts, "tables": tables}
