"""Asset bodies are rich text written in the browser or pasted from elsewhere; they are stored
only after nh3 has kept a short allow-list of formatting tags, so no script reaches a prospect."""

import html
import re

import nh3

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "em", "b", "i", "u", "ul", "ol", "li", "blockquote",
    "a", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"colspan"}, "td": {"colspan"}}
MAX_BODY = 200_000


def html_sanitize(value: str | None) -> str:
    if not value:
        return ""
    return nh3.clean(
        str(value)[:MAX_BODY],
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


_SPACE = re.compile(r"\s+")


def html_to_text(value: str | None) -> str:
    """Words of a body, for the search index and previews."""
    if not value:
        return ""
    return _SPACE.sub(" ", html.unescape(nh3.clean(value, tags=set()))).strip()


def text_clean(value: object, *, max_length: int) -> str:
    """Plain text fields: tags removed, surrounding blanks trimmed."""
    if value is None:
        return ""
    return html.unescape(nh3.clean(str(value), tags=set())).strip()[:max_length]
