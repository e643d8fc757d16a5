"""A contact with personal data in every table of the inventory, built by hand."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from closedloop.accounts.models import User
from closedloop.audit.services import audit_record
from closedloop.automation.models import (
    ConsentRecord,
    Enrollment,
    OutboundEmail,
    OutboundWebhook,
    OutboxStatus,
    Segment,
    SegmentMembership,
    Subscription,
    Suppression,
    Timer,
    Workflow,
)
from closedloop.content.models import ContentAsset, LinkView, SharedLink
from closedloop.crm.models import Activity, Contact, Deal, StageTransition
from closedloop.handoff.models import Handoff
from closedloop.meetings.models import FeedItem
from closedloop.notifications.models import Notification
from closedloop.scoring.models import ContactScore
from closedloop.sla.models import SlaClock
from closedloop.tracking.models import Campaign, Event, VisitorIdentity

EMAIL = "zoe.quartermain@example.net"
FIRST, LAST = "Zoë", "Quartermain"
FULL = f"{FIRST} {LAST}"
PHONE = "+44 20 7946 0958"


def t(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 5, day, hour, 0, tzinfo=UTC)


@dataclass
class Person:
    contact: Contact
    campaign: Campaign
    other: Contact


def build_person(*, staff: User) -> Person:
    """Zoë, a lead from the spring PPC campaign, and Bob, another lead who must stay untouched."""
    ppc = Campaign.objects.create(name="Spring PPC", channel="ppc", utm_campaign="spring-ppc")
    zoe = Contact.objects.create(
        email=EMAIL,
        first_name=FIRST,
        last_name=LAST,
        title="VP Finance",
        phone=PHONE,
        properties={"linkedin": "https://linkedin.example/zoe-quartermain", "note": f"met {FULL} at expo"},
        lifecycle_stage="customer",
        source_campaign=ppc,
        created_at=t(1),
    )
    bob = Contact.objects.create(
        email="bob@example.com", first_name="Bob", last_name="Stone", created_at=t(2)
    )
    StageTransition.objects.create(
        contact=zoe, from_stage="visitor", to_stage="lead", at=t(1), cause="import"
    )
    StageTransition.objects.create(
        contact=zoe,
        from_stage="lead",
        to_stage="mql",
        at=t(3),
        cause="manual",
        detail=f"{FULL} asked for a demo",
    )
    # Events: two identified page views, one form with the address in the URL and properties, one
    # anonymous view from her cookie before she was identified, and one of Bob's.
    VisitorIdentity.objects.create(visitor_id="cookie-zq-1", contact=zoe, identified_at=t(2))
    Event.objects.create(
        idempotency_key="pv-1", type="page_view", ts=t(1, 8), visitor_id="cookie-zq-1", campaign=ppc,
        utm_campaign="spring-ppc", url="https://site.example/pricing", properties={"ip": "203.0.113.9"},
    )  # fmt: skip
    Event.objects.create(
        idempotency_key="pv-2", type="page_view", ts=t(2, 10), contact=zoe, visitor_id="cookie-zq-1", campaign=ppc,
        utm_campaign="spring-ppc", url="https://site.example/demo", properties={"user_agent": "Firefox/140"},
    )  # fmt: skip
    Event.objects.create(
        idempotency_key=f"form-{EMAIL}", type="form_submit", ts=t(2, 11), contact=zoe, campaign=ppc,
        utm_campaign="spring-ppc", url=f"https://site.example/thanks?email={EMAIL}",
        properties={"email": EMAIL, "name": FULL, "phone": PHONE},
    )  # fmt: skip
    Event.objects.create(
        idempotency_key="bob-1",
        type="page_view",
        ts=t(2, 12),
        contact=bob,
        campaign=ppc,
        url="https://site.example/",
    )
    Deal.objects.create(
        name=f"{FULL} – annual plan", contact=zoe, amount=Decimal("12000.00"), stage="won", created_at=t(4),
        closed_at=t(20), source_campaign=ppc,
    )  # fmt: skip
    Deal.objects.create(
        name="Bob pilot", contact=bob, amount=Decimal("3000.00"), stage="won", created_at=t(4)
    )
    Activity.objects.create(
        kind="call",
        subject=f"Call with {FULL}",
        body=f"She prefers {EMAIL}",
        contact=zoe,
        user=staff,
        at=t(5),
    )
    handoff = Handoff.objects.create(
        contact=zoe, stage="sql", routed_to=staff, routed_at=t(6), routing_reason="round robin",
        status="accepted", decided_at=t(6, 11), comment=f"Spoke to {FIRST} on {PHONE}",
    )  # fmt: skip
    SlaClock.objects.create(
        contact=zoe, handoff=handoff, kind="accept_within", amount=2, unit="business_days", owner=staff,
        owner_team="sales", started_at=t(6), due_at=t(8), stopped_at=t(6, 11), status="met",
        stop_reason=f"accepted {FULL}",
    )  # fmt: skip
    ContactScore.objects.create(
        contact=zoe, points=40, breakdown=[{"name": "VP title", "detail": "VP Finance"}]
    )
    workflow = Workflow.objects.create(name="Ebook nurture", status="active", definition={})
    enrollment = Enrollment.objects.create(
        workflow=workflow, contact=zoe, trigger_key="st:1", entered_at=t(3)
    )
    Timer.objects.create(enrollment=enrollment, step_id="wait", due_at=t(30))
    segment = Segment.objects.create(key="ebook", name="Ebook readers")
    SegmentMembership.objects.create(segment=segment, contact=zoe, added_at=t(3))
    common = {
        "workflow": workflow,
        "topic": "nurture",
        "due_at": t(3),
        "created_at": t(3),
        "domain": "example.net",
    }
    OutboundEmail.objects.create(
        idempotency_key="mail-1", enrollment=enrollment, contact=zoe, to_email=EMAIL, subject=f"{FIRST}, your ebook",
        text_body=f"Hello {FULL}", html_body=f"<p>Hello {FULL}</p>", message_id="<m1@closedloop.example>",
        status=OutboxStatus.SENT, sent_at=t(3), opened_at=t(4), smtp_response=f"250 OK {EMAIL}", **common,
    )  # fmt: skip
    OutboundEmail.objects.create(
        idempotency_key="mail-2", enrollment=enrollment, contact=zoe, to_email=EMAIL, subject="Case study",
        text_body="Read this", message_id="<m2@closedloop.example>", status=OutboxStatus.QUEUED, **common,
    )  # fmt: skip
    OutboundEmail.objects.create(
        idempotency_key="mail-bob", contact=bob, to_email="bob@example.com", subject="Hi Bob", text_body="Hi",
        message_id="<m3@closedloop.example>", status=OutboxStatus.SENT, sent_at=t(3), **common,
    )  # fmt: skip
    OutboundWebhook.objects.create(
        idempotency_key="hook-1", url="https://hooks.example/in", payload={"contact": {"email": EMAIL}},
        due_at=t(3), created_at=t(3), status=OutboxStatus.SENT,
    )  # fmt: skip
    Subscription.objects.create(contact=zoe, topic="nurture", status="subscribed", updated_at=t(1))
    ConsentRecord.objects.create(
        contact=zoe,
        topic="nurture",
        status="subscribed",
        source="form",
        at=t(1),
        detail=f"ebook form, {EMAIL}",
    )
    ConsentRecord.objects.create(
        contact=zoe, topic="*", status="unsubscribed", source="one_click", at=t(10), detail="List-Unsubscribe"
    )
    Suppression.objects.create(email=EMAIL, reason="complaint", created_at=t(10))
    asset = ContentAsset.objects.create(
        title="ROI sheet", asset_type="one_pager", created_at=t(1), updated_at=t(1)
    )
    link = SharedLink.objects.create(
        asset=asset, version=1, public_id="pub-zq", contact=zoe, title=f"ROI for {FULL}",
        intro=f"Dear {FIRST} {LAST}", body_html="<p>numbers</p>", created_by=staff, created_at=t(7), open_count=1,
    )  # fmt: skip
    LinkView.objects.create(
        link=link, view_key="v1", opened_at=t(7, 12), user_agent="Safari/18 (Zoë's iPhone)"
    )
    FeedItem.objects.create(
        kind="win", title=f"Won {FULL}!", body=f"{FULL} signed", contact=zoe, created_at=t(20)
    )
    Notification.objects.create(recipient=staff, kind="lead_routed", title=f"New lead: {FULL}", body=EMAIL)
    audit_record(
        actor=staff, action="crm.contact_update", obj=zoe, summary=f"updated {FULL}", changes={"email": EMAIL}
    )
    return Person(contact=zoe, campaign=ppc, other=bob)
