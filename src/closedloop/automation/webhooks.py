"""Webhook calls from workflows: an SSRF guard and a POST with the same commit point as email.

The guard resolves the host once, refuses loopback, private, link-local and other non-public
addresses (a workflow author must not reach the database or a cloud metadata service through
the worker) unless `CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE` is set, and connects to the address it
checked, so a DNS answer that changes between check and connect cannot slip through.

Like email, the request goes out without its last body byte; "handing over" is committed; then
the last byte follows. The receiver also gets an `Idempotency-Key` header."""

import http.client
import ipaddress
import json
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from closedloop.automation.mail import ABORTED, ACCEPTED, REJECTED, RETRY, UNCERTAIN, Outcome

TIMEOUT_SECONDS = 10


class WebhookRefused(Exception):
    """The URL points somewhere a workflow may not call."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str


def allow_private() -> bool:
    return bool(getattr(settings, "CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE", False))


def webhook_target(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused(f"{url!r} is not an http or https URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise WebhookRefused(f"cannot resolve {parts.hostname}: {exc}") from exc
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global and not allow_private():
            raise WebhookRefused(f"{parts.hostname} resolves to {ip}, which is not a public address")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, addresses[0], path)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target) -> None:
        super().__init__(
            target.host, target.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def pinned_connection(target: Target) -> http.client.HTTPConnection:
    """A connection to the address `webhook_target` checked, never to what the host name resolves
    to a moment later (DNS rebinding); HTTPS still verifies the certificate for the host name."""
    return _PinnedHTTPS(target) if target.scheme == "https" else _PinnedHTTP(target)


def webhook_post(
    *, url: str, payload: dict, idempotency_key: str, commit_point: Callable[[Callable[[], None]], bool]
) -> Outcome:
    try:
        target = webhook_target(url)
    except WebhookRefused as exc:
        return Outcome(REJECTED, str(exc)[:500])
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    conn = pinned_connection(target)
    try:
        conn.putrequest("POST", target.path)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Idempotency-Key", idempotency_key)
        conn.putheader("User-Agent", "closedloop-webhook/1")
        conn.endheaders(body[:-1])
    except OSError as exc:
        conn.close()
        return Outcome(RETRY, str(exc)[:500])

    def send_last_byte() -> None:
        conn.send(body[-1:])

    try:
        if not commit_point(send_last_byte):
            conn.close()
            return Outcome(ABORTED, "not handed over")
        response = conn.getresponse()
        status = response.status
        response.read(4096)
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(UNCERTAIN, str(exc)[:500])
    finally:
        conn.close()
    if 200 <= status < 300:
        return Outcome(ACCEPTED, f"HTTP {status}")
    if status in (408, 429) or status >= 500:
        return Outcome(RETRY, f"HTTP {status}")
    return Outcome(REJECTED, f"HTTP {status}")
