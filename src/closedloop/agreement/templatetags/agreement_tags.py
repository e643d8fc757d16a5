"""Template helpers for the agreement pages: user-written text as safe markdown-lite, stage labels."""

from django import template
from django.utils.safestring import SafeString

from closedloop.agreement.content import stage_label as _stage_label
from closedloop.agreement.plain_text import text_render, text_render_inline

register = template.Library()


@register.filter
def agreement_text(value: str | None) -> SafeString:
    """Plain text typed by a user → paragraphs, bullets, bold/italic/code; never raw HTML."""
    return text_render(value)


@register.filter
def agreement_inline(value: str | None) -> SafeString:
    return text_render_inline(value)


@register.filter
def stage_label(value: str | None) -> str:
    return _stage_label(value or "")


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key) if isinstance(mapping, dict) else None
