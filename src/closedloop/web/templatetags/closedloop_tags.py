"""Small presentation helpers for closedloop's templates: money, percentages, nav state, event
property summaries. Formatting only; numbers come from selectors."""

from decimal import Decimal
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from closedloop.accounts.roles import Permission

register = template.Library()

DASH = "—"


@register.filter
def money(value: Decimal | int | float | None) -> str:
    """1234.5 → "1,234.50"; None (e.g. cost per lead without leads) → "—"."""
    if value is None:
        return DASH
    quantized = Decimal(value).quantize(Decimal("0.01"))
    whole, _, cents = f"{quantized:f}".partition(".")
    return f"{intcomma(int(whole))}.{cents}"


@register.filter
def pct(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:.1f}%"


@register.simple_tag(takes_context=True)
def nav_active(context: template.Context, prefix: str) -> str:
    """ "is-active" when the current path is `prefix` ("/" matches only the home page)."""
    request = context.get("request")
    path = getattr(request, "path", "")
    hit = path == "/" if prefix == "/" else path.startswith(prefix)
    return "is-active" if hit else ""


@register.filter
def properties_summary(properties: Any, limit: int = 140) -> str:
    """{"form": "demo", "asset": "ebook"} → "form: demo · asset: ebook", cut to `limit` characters."""
    if not isinstance(properties, dict) or not properties:
        return ""
    parts = []
    for key, value in properties.items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, dict | list):
            value = "…"
        parts.append(f"{key}: {value}")
    text = " · ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@register.filter
def can(user: Any, permission: str) -> bool:
    """`{% if user|can:"VIEW_CONTACTS" %}`: hide links the user's role would get a 403 for."""
    roles = getattr(Permission, permission, None)
    if roles is None:
        raise template.TemplateSyntaxError(f"unknown permission {permission!r}")
    return bool(getattr(user, "is_authenticated", False) and user.has_role(roles))
