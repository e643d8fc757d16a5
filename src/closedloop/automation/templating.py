"""Email templates: Jinja2 in its sandbox, so a marketer's template can personalise a message
but cannot reach Python objects, files or settings.

Templates see the contact's fields (`first_name`, `company`, …) and three helpers that make
signed tracking links: `link(url)`, `download(asset, url)` and `unsubscribe_url`."""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nh3
from jinja2 import Template, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

_TEXT = SandboxedEnvironment(autoescape=False)
_HTML = SandboxedEnvironment(autoescape=True)


@functools.lru_cache(maxsize=512)
def _compiled(html: bool, source: str) -> Template:
    # Compiling costs far more than rendering; a workflow sends the same template thousands of times.
    return (_HTML if html else _TEXT).from_string(source)


def render_text(source: str, context: dict[str, Any]) -> str:
    return _compiled(False, source).render(context)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def template_error(source: str) -> str:
    """Why the template does not compile, or "" when it does."""
    try:
        _TEXT.parse(source)
    except TemplateSyntaxError as exc:
        return f"line {exc.lineno}: {exc.message}"
    return ""


def contact_context(contact: Any) -> dict[str, Any]:
    account = getattr(contact, "account", None)
    owner = getattr(contact, "owner", None)
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "full_name": contact.full_name,
        "email": contact.email or "",
        "title": contact.title,
        "persona": contact.persona,
        "company": account.name if account else "",
        "owner_name": owner.display_name if owner else "",
        "owner_email": owner.email if owner else "",
    }


def render_email(
    *,
    subject: str,
    text: str,
    html: str,
    context: dict[str, Any],
    link: Callable[[str], str],
    download: Callable[[str, str], str],
    unsubscribe_url: str,
) -> RenderedEmail:
    values = {**context, "link": link, "download": download, "unsubscribe_url": unsubscribe_url}
    # A subject is one line: a newline in personal data must not start a new header.
    rendered_subject = " ".join(_compiled(False, subject).render(values).split())
    rendered_text = _compiled(False, text).render(values)
    rendered_html = _compiled(True, html).render(values) if html else ""
    if rendered_html:
        # The template is the marketer's, the values are the contact's: strip scripts either way.
        rendered_html = nh3.clean(rendered_html, url_schemes={"http", "https", "mailto"})
    return RenderedEmail(subject=rendered_subject[:300], text=rendered_text, html=rendered_html)
