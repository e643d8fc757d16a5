"""Consent: who may be emailed about what, and the evidence of when and how they said so.

`email_block_reason()` is the one gate every email passes, checked when a workflow queues a
message and again by the sender just before it goes out, so no workflow (and no message queued
before an unsubscribe) can get past the suppression list or an unsubscribe."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from closedloop.audit.services import audit_record
from closedloop.automation.models import ConsentRecord, Subscription, Suppression, Topic
from closedloop.automation.workflows import SEGMENT_KEY
from closedloop.privacy.selectors import email_is_erased

ALL_TOPICS = "*"


def normalize_address(email: str) -> str:
    return email.strip().lower()


def email_block_reason(*, contact_id: int, email: str, topic: str) -> str:
    """Why this contact may not get an email on this topic; "" when it may."""
    if Suppression.objects.filter(email=normalize_address(email)).exists():
        return "address is on the suppression list"
    answers = dict(
        Subscription.objects.filter(contact_id=contact_id, topic__in=[topic, ALL_TOPICS]).values_list(
            "topic", "status"
        )
    )
    if answers.get(ALL_TOPICS) == Subscription.Status.UNSUBSCRIBED:
        return "unsubscribed from all email"
    if answers.get(topic) == Subscription.Status.UNSUBSCRIBED:
        return f"unsubscribed from {topic}"
    opted_in = answers.get(topic) == Subscription.Status.SUBSCRIBED
    # An erased person's address may come back (an old export, a colleague's list); it gets email
    # again only after the new contact opts in, never on the strength of the old relationship.
    if not opted_in and answers.get(ALL_TOPICS) != Subscription.Status.SUBSCRIBED and email_is_erased(email):
        return "the address belonged to an erased contact; it gets email only after a new opt-in"
    if not opted_in and Topic.objects.filter(key=topic, requires_opt_in=True).exists():
        return f"{topic} needs opt-in and the contact has not opted in"
    return ""


@transaction.atomic
def subscription_set(
    *, contact, topic: str, status: str, source: str, detail: str = "", by=None
) -> Subscription:
    """Record a yes or no for one topic ("*": all email) with its evidence."""
    if topic != ALL_TOPICS and not SEGMENT_KEY.match(topic or ""):
        raise ValidationError({"topic": f'topic must be a topic key or "*", not {topic!r}'})
    if status not in Subscription.Status.values:
        raise ValidationError({"status": f"status must be subscribed or unsubscribed, not {status!r}"})
    if source not in ConsentRecord.Source.values:
        raise ValidationError({"source": f"unknown consent source {source!r}"})
    now = timezone.now()
    sub, _ = Subscription.objects.update_or_create(
        contact=contact, topic=topic, defaults={"status": status, "updated_at": now}
    )
    ConsentRecord.objects.create(
        contact=contact, topic=topic, status=status, source=source, at=now, detail=detail[:500], by=by
    )
    audit_record(
        actor=by,
        action=f"automation.consent_{status}",
        obj=contact,
        summary=f"{status} {'all email' if topic == ALL_TOPICS else topic} ({source})",
        changes={"topic": topic, "status": status, "source": source},
    )
    return sub


@transaction.atomic
def suppression_add(*, email: str, reason: str, detail: str = "", by=None) -> Suppression:
    address = normalize_address(email)
    if "@" not in address:
        raise ValidationError({"email": f"{email!r} is not an email address"})
    if reason not in Suppression.Reason.values:
        raise ValidationError({"reason": f"reason must be one of {', '.join(Suppression.Reason.values)}"})
    entry, created = Suppression.objects.get_or_create(
        email=address, defaults={"reason": reason, "detail": detail[:500], "created_at": timezone.now()}
    )
    if created:
        audit_record(
            actor=by, action="automation.suppress", obj=entry, summary=f"suppressed {address}: {reason}"
        )
    return entry


@transaction.atomic
def suppression_remove(*, email: str, by) -> bool:
    entry = Suppression.objects.filter(email=normalize_address(email)).first()
    if entry is None:
        return False
    audit_record(actor=by, action="automation.unsuppress", obj=entry, summary=f"unsuppressed {entry.email}")
    entry.delete()
    return True
