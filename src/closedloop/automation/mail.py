"""SMTP delivery of one outbox message, with a commit point just before the message is complete.

SMTP cannot be exactly-once: the server stores a message when it reads the final "." of the
DATA phase, and a client that dies before it records the server's "250" cannot know whether
that "." arrived. We choose never to send twice. Everything but the last byte of the message
goes to the server first; then `commit_point(send_last_byte)` commits "handing over" for the
outbox row and sends the last byte right after it (outbox.py). A worker killed before that
commit leaves the server holding an unfinished message it discards when the connection drops,
and the row still queued, so another worker sends it. A worker killed after it leaves a row
marked "handing over" that nobody resends (it becomes "unconfirmed"). docs/email.md states the
guarantee and its one window."""

import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

from django.conf import settings
from django.utils import timezone

ACCEPTED = "accepted"
HARD_BOUNCE = "hard_bounce"  # the server refused the recipient (5xx to RCPT): never try again
REJECTED = "rejected"  # a permanent refusal of the message itself (5xx elsewhere)
RETRY = "retry"  # a temporary refusal or a network failure before the commit point
ABORTED = "aborted"  # the commit point said no (lease lost, unsubscribed meanwhile)
UNCERTAIN = "uncertain"  # the connection failed after the commit point
UNREACHABLE = "unreachable"  # no connection to the relay at all: try the whole batch later


@dataclass(frozen=True)
class Outcome:
    kind: str
    response: str = ""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool
    timeout: float


def smtp_config() -> SmtpConfig:
    """The SMTP relay of the default mailer (Django's MAILERS), or the older EMAIL_* settings."""
    mailers = getattr(settings, "MAILERS", None)
    if mailers:
        o = mailers.get("default", {}).get("OPTIONS", {})
        return SmtpConfig(
            host=o.get("host", "localhost"),
            port=int(o.get("port", 25)),
            username=o.get("username", "") or "",
            password=o.get("password", "") or "",
            use_tls=bool(o.get("use_tls", False)),
            use_ssl=bool(o.get("use_ssl", False)),
            timeout=float(o.get("timeout") or 10),
        )
    return SmtpConfig(
        host=settings.EMAIL_HOST,
        port=settings.EMAIL_PORT,
        username=settings.EMAIL_HOST_USER,
        password=settings.EMAIL_HOST_PASSWORD,
        use_tls=settings.EMAIL_USE_TLS,
        use_ssl=settings.EMAIL_USE_SSL,
        timeout=float(settings.EMAIL_TIMEOUT or 10),
    )


def sender_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "closedloop@localhost"


def new_message_id() -> str:
    domain = sender_address().rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


def build_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    unsubscribe_url: str,
    open_pixel_url: str,
) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = settings.DEFAULT_FROM_EMAIL
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id
    # RFC 2369 and RFC 8058: mail clients show an "Unsubscribe" button that POSTs to this URL.
    msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    if html:
        pixel = f'<img src="{open_pixel_url}" width="1" height="1" alt="" style="display:none">'
        msg.add_alternative(f"{html}\n{pixel}", subtype="html")
    return msg.as_bytes()


def _dot_stuffed(data: bytes) -> bytes:
    data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _text(code: int, message: bytes | str) -> str:
    body = message.decode(errors="replace") if isinstance(message, bytes) else message
    return f"{code} {body}"[:500]


class SmtpSession:
    """One connection reused for many messages, reopened after any failure."""

    def __init__(self) -> None:
        self._smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            cfg = smtp_config()
            # An explicit HELO name: smtplib would otherwise do a reverse DNS lookup per connection.
            helo = sender_address().rpartition("@")[2] or "localhost"
            if cfg.use_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host,
                    cfg.port,
                    local_hostname=helo,
                    timeout=cfg.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, local_hostname=helo, timeout=cfg.timeout)
            smtp.ehlo()
            if cfg.use_tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if cfg.username:
                smtp.login(cfg.username, cfg.password)
            self._smtp = smtp
        return self._smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()  # no QUIT: an unfinished DATA phase must be discarded, not ended
            self._smtp = None

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def deliver(
        self, *, recipient: str, data: bytes, commit_point: Callable[[Callable[[], None]], bool]
    ) -> Outcome:
        try:
            smtp = self._connection()
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            return Outcome(UNREACHABLE, str(exc)[:500])
        try:
            code, resp = smtp.mail(sender_address())
            if code != 250:
                self._reset(smtp)
                return Outcome(RETRY if 400 <= code < 500 else REJECTED, _text(code, resp))
            code, resp = smtp.rcpt(recipient)
            if code not in (250, 251):
                self._reset(smtp)
                return Outcome(RETRY if 400 <= code < 500 else HARD_BOUNCE, _text(code, resp))
            smtp.putcmd("data")
            code, resp = smtp.getreply()
            if code != 354:
                self._reset(smtp)
                return Outcome(RETRY if 400 <= code < 500 else REJECTED, _text(code, resp))
            # Everything but the last "\n" of the terminating "\r\n.\r\n": the server cannot
            # store the message until that byte arrives.
            smtp.send(_dot_stuffed(data) + b".\r")
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            return Outcome(RETRY, str(exc)[:500])

        def send_last_byte() -> None:
            smtp.send(b"\n")

        try:
            # The commit point calls send_last_byte() once "handing over" is committed (or, on
            # PostgreSQL, once the COMMIT is on its way) and returns False to abort instead.
            handed_over = commit_point(send_last_byte)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            return Outcome(UNCERTAIN, str(exc)[:500])
        if not handed_over:
            self._drop()
            return Outcome(ABORTED, "not handed over")
        try:
            code, resp = smtp.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            return Outcome(UNCERTAIN, str(exc)[:500])
        if code == 250:
            return Outcome(ACCEPTED, _text(code, resp))
        return Outcome(RETRY if 400 <= code < 500 else REJECTED, _text(code, resp))
