"""Signed tracking links: open pixel, click redirect, content download and unsubscribe.

The destination travels inside the signed token, never as a bare query parameter, so a link
cannot be edited to point elsewhere (no open redirect) and cannot be forged for another
message or contact. Links do not expire: an email read a year later still works."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing

# Served by the API router, which the login wall leaves open: recipients are not users.
PUBLIC_PATH = "/api/v1/automation/t"
_SALT = "closedloop.automation.link."
KINDS = ("open", "click", "download", "unsubscribe")


class BadLink(Exception):
    """The token was not made by this server (tampered, truncated or for another kind)."""


@dataclass(frozen=True)
class LinkData:
    message_key: str
    url: str = ""
    asset: str = ""
    contact_id: int | None = None
    topic: str = ""


def _sign(kind: str, payload: dict[str, Any]) -> str:
    return signing.dumps(payload, salt=_SALT + kind, compress=True)


def link_read(kind: str, token: str) -> LinkData:
    if kind not in KINDS:
        raise BadLink(kind)
    try:
        data = signing.loads(token, salt=_SALT + kind)
    except signing.BadSignature as exc:
        raise BadLink(str(exc)) from exc
    if not isinstance(data, dict):
        raise BadLink("unexpected payload")
    return LinkData(
        message_key=str(data.get("m", "")),
        url=str(data.get("u", "")),
        asset=str(data.get("a", "")),
        contact_id=data.get("c"),
        topic=str(data.get("t", "")),
    )


def is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _base() -> str:
    return f"{settings.CLOSEDLOOP_BASE_URL}{PUBLIC_PATH}"


def open_url(message_key: str) -> str:
    return f"{_base()}/o/{_sign('open', {'m': message_key})}.gif"


def click_url(message_key: str, url: str) -> str:
    if not is_web_url(url):
        raise ValueError(f"only http and https links can be tracked, not {url!r}")
    return f"{_base()}/c/{_sign('click', {'m': message_key, 'u': url})}"


def download_url(message_key: str, asset: str, url: str) -> str:
    if not is_web_url(url):
        raise ValueError(f"only http and https downloads can be tracked, not {url!r}")
    return f"{_base()}/d/{_sign('download', {'m': message_key, 'a': asset, 'u': url})}"


def unsubscribe_url(message_key: str, contact_id: int, topic: str) -> str:
    return f"{_base()}/u/{_sign('unsubscribe', {'m': message_key, 'c': contact_id, 't': topic})}"
