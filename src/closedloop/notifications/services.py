"""notify(): tell people something, in the app and (unless asked not to) by email.

Email goes out after the surrounding transaction commits, so a rolled-back change never mails
anyone; an unreachable mail server is recorded on the notification instead of failing the caller."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.notifications.models import Notification

log = logging.getLogger(__name__)


def notify(
    recipients: Iterable[User | None],
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str | None = None,
    email: bool = True,
) -> list[Notification]:
    """Create one notification per distinct recipient (None and inactive users are skipped).
    With a dedupe_key, a recipient who already has that key is not told again."""
    created = []
    seen: set[int] = set()
    for user in recipients:
        if user is None or not user.is_active or user.pk in seen:
            continue
        seen.add(user.pk)
        try:
            with transaction.atomic():
                note = Notification.objects.create(
                    recipient=user, kind=kind, title=title[:200], body=body, link=link, dedupe_key=dedupe_key
                )
        except IntegrityError:
            continue  # already told (same dedupe_key)
        created.append(note)
    if email:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: _email(ids))
    return created


def _email(notification_ids: list[int]) -> None:
    for note in Notification.objects.filter(pk__in=notification_ids).select_related("recipient"):
        if not note.recipient.email:
            continue
        link = f"\n\n{settings.CLOSEDLOOP_BASE_URL}{note.link}" if note.link else ""
        try:
            send_mail(
                subject=note.title,
                message=f"{note.body}{link}",
                from_email=None,
                recipient_list=[note.recipient.email],
            )
        except Exception as exc:  # smtplib errors derive from OSError; other backends raise their own
            log.warning("notification %s not emailed: %s", note.pk, exc)
            Notification.objects.filter(pk=note.pk).update(email_error=str(exc)[:300])
        else:
            Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())


def mark_read(user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())
