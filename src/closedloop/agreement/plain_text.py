"""User-written agreement text: stored as plain text with every HTML tag removed (nh3), shown as
"markdown-lite" (paragraphs, `- ` bullets, **bold**, *italic*, `code`) built only from escaped text."""

import html
import re

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_LENGTH = 10_000
RENDER_TAGS = {"p", "ul", "li", "strong", "em", "code", "br"}


def text_sanitize(value: str | None, *, max_length: int = MAX_LENGTH) -> str:
    """Strip tags (and the content of <script>/<style>), keep the words, normalise line ends.

    nh3 returns HTML-escaped text; it is unescaped again because the stored value is plain text
    and every page escapes it when rendering ("a < b" stays "a < b", not "a &lt; b")."""
    if not value:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = html.unescape(nh3.clean(text, tags=set()))
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
    return text[:max_length]


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")


def _inline(escaped: str) -> str:
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _ITALIC.sub(r"<em>\1</em>", escaped)


def text_render(value: str | None) -> SafeString:
    """Plain text → small safe HTML. Text is escaped before any tag is added, and the result goes
    through nh3 once more with a short allow-list, so nothing a user typed becomes markup."""
    if not value:
        return mark_safe("")
    blocks: list[str] = []
    for chunk in re.split(r"\n\s*\n", value.strip()):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if lines and all(line.startswith(("- ", "* ")) for line in lines):
            items = "".join(f"<li>{_inline(escape(line[2:].strip()))}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif lines:
            blocks.append("<p>" + "<br>".join(_inline(escape(line)) for line in lines) + "</p>")
    cleaned = nh3.clean("".join(blocks), tags=RENDER_TAGS, attributes={})
    return mark_safe(cleaned)  # noqa: S308 - built from escaped text, then allow-listed by nh3


def text_render_inline(value: str | None) -> SafeString:
    """One line of plain text with **bold**, *italic* and `code`, no block tags."""
    cleaned = nh3.clean(_inline(escape(value or "")), tags={"strong", "em", "code"}, attributes={})
    return mark_safe(cleaned)  # noqa: S308 - built from escaped text, then allow-listed by nh3


def lines_of(value: str | None) -> list[str]:
    """A responsibilities field (one per line, optional "- " bullets) as a list."""
    out = []
    for line in (value or "").split("\n"):
        line = line.strip()
        if line.startswith(("- ", "* ")):
            line = line[2:].strip()
        if line:
            out.append(line)
    return out
