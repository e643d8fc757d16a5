"""Where personal data about a contact lives, and what erasure does to it: one entry per model.

A test walks every installed model and fails when one with a relation to crm.Contact or an email
column is missing here, so a new table cannot silently escape export and erasure. docs/privacy.md
shows the same table to people."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Holder:
    model: str  # "app_label.ModelName", as django.apps names it
    personal_data: str
    erasure: str
    # Free-text columns that may mention the person anywhere in the table (not only on rows linked
    # to the contact): erasure replaces the person's email, full name and phone in them.
    text_fields: tuple[str, ...] = ()
    # False for models that hold no contact's data (staff accounts): listed so the choice is explicit.
    in_scope: bool = True


ERASED = "[erased]"

HOLDERS: tuple[Holder, ...] = (
    Holder(
        "crm.Contact",
        "email, first and last name, title, phone, free-form properties",
        "becomes an anonymous tombstone: personal columns emptied, stage, score, account, owner, "
        "source campaign and creation date kept so funnels and attribution still count it",
    ),
    Holder(
        "crm.StageTransition",
        "the contact's stage history; `detail` may quote the person",
        "kept (funnel counts need it); the person's email, name and phone are removed from `detail`",
        text_fields=("detail",),
    ),
    Holder(
        "crm.Deal",
        "deals with the contact; the deal name may carry the person's name",
        "kept with amount and stage (revenue is an aggregate); name and lost reason scrubbed",
        text_fields=("name", "lost_reason"),
    ),
    Holder(
        "crm.Activity",
        "call, email and meeting notes about the person",
        "the contact's activities keep kind, time and user but lose subject and body; other "
        "activities are scrubbed of the person's email, name and phone",
        text_fields=("subject", "body"),
    ),
    Holder(
        "tracking.Event",
        "touchpoints: page URLs, free-form properties (IP address, user agent, form fields), visitor id",
        "kept for campaign and funnel counts (type, time, campaign, UTM values, contact tombstone); "
        "properties emptied, visitor id cleared, URL query and fragment removed, idempotency key "
        "replaced; also for anonymous events of the person's visitor ids",
    ),
    Holder(
        "tracking.VisitorIdentity",
        "the cookie ids that tie anonymous browsing to the person",
        "deleted",
    ),
    Holder(
        "handoff.Handoff",
        "the rep's accept/reject comment about the lead",
        "kept for handoff and SLA reports; comment and routing reason scrubbed",
        text_fields=("comment", "routing_reason"),
    ),
    Holder(
        "sla.SlaClock",
        "SLA clocks on the lead (times only; a stop reason may quote it)",
        "kept for the SLA report; stop reason scrubbed",
        text_fields=("stop_reason",),
    ),
    Holder(
        "scoring.ContactScore",
        "the score breakdown and model reasons derived from the person's traits",
        "deleted (the next rescore computes a new one from the tombstone)",
    ),
    Holder(
        "automation.Enrollment",
        "the person's passes through workflows",
        "kept for workflow statistics; a pass in progress is cancelled and its timers deleted",
        text_fields=("exit_reason",),
    ),
    Holder(
        "automation.SegmentMembership",
        "the lists the person is on",
        "deleted",
    ),
    Holder(
        "automation.OutboundEmail",
        "email log: the address, subject, rendered text and HTML bodies, message id, server reply",
        "kept for sent/opened/clicked counts; address, subject, bodies, message id and server reply "
        "emptied; a queued email becomes suppressed and is never sent",
    ),
    Holder(
        "automation.Subscription",
        "the person's current answer per email topic",
        "deleted (an erased contact has no address to email)",
    ),
    Holder(
        "automation.ConsentRecord",
        "consent history: topic, yes/no, source, time, who recorded it, detail",
        "kept as proof of consent (GDPR art. 7(1)) on the anonymous tombstone; detail emptied",
    ),
    Holder(
        "automation.Suppression",
        "suppressed email addresses (bounces, complaints, blocks)",
        "the person's address is deleted; the erasure record keeps a keyed hash of it and whether it "
        "was suppressed, so the address is still recognised without being stored",
    ),
    Holder(
        "automation.OutboundWebhook",
        "webhook payloads may carry the person's data",
        "payload, URL and response scrubbed of the person's email, name and phone",
        text_fields=("url", "payload", "response"),
    ),
    Holder(
        "content.SharedLink",
        "a personalised copy of an asset sent to the person",
        "kept for content usage counts; revoked, intro and body emptied, title scrubbed",
        text_fields=("title", "intro", "body_html"),
    ),
    Holder(
        "content.LinkView",
        "the browser user agent of each opening of a shared link",
        "user agent emptied for the person's links; open times and seconds kept",
    ),
    Holder(
        "content.ProspectFeedback",
        "a rep's note on how an asset landed with a prospect",
        "note scrubbed",
        text_fields=("note",),
    ),
    Holder(
        "meetings.FeedItem",
        "wins and feedback about the person",
        "kept for the feed; title, body, details and content reference scrubbed",
        text_fields=("title", "body", "details", "content_ref"),
    ),
    Holder("meetings.FeedComment", "comments may mention the person", "scrubbed", text_fields=("body",)),
    Holder(
        "meetings.MeetingOccurrence",
        "meeting notes and agenda packs (rejected leads, wins) may name the person",
        "scrubbed",
        text_fields=("notes", "pack"),
    ),
    Holder("meetings.AgendaItem", "agenda text", "scrubbed", text_fields=("title", "body")),
    Holder("meetings.Decision", "decision text", "scrubbed", text_fields=("text",)),
    Holder("meetings.ActionItem", "action item titles", "scrubbed", text_fields=("title",)),
    Holder(
        "meetings.WebhookDelivery",
        "outgoing feed webhooks may carry the person's name",
        "scrubbed",
        text_fields=("payload", "last_error"),
    ),
    Holder(
        "notifications.Notification",
        "notices to staff naming the lead",
        "scrubbed",
        text_fields=("title", "body"),
    ),
    Holder(
        "alarms.Alarm",
        "alarm messages and evidence may list leads",
        "scrubbed",
        text_fields=("title", "message", "evidence"),
    ),
    Holder(
        "imports.ImportJob",
        "import previews, reports and errors quote rows of the file",
        "scrubbed (the uploaded file itself is not rewritten; see the retention notes)",
        text_fields=("preview", "summary", "error"),
    ),
    Holder(
        "audit.AuditEntry",
        "the audit log names contacts in its summaries and change sets",
        'entries about the contact show "Contact <id>"; summaries and changes scrubbed',
        text_fields=("object_repr", "summary", "changes"),
    ),
    Holder(
        "admin.LogEntry",
        "the operators' admin log names edited objects",
        "scrubbed",
        text_fields=("object_repr", "change_message"),
    ),
    Holder(
        "privacy.ErasureRecord",
        "proof of an erasure: contact id, a keyed hash of the address, reason, time, who",
        "this is the erasure's own record; it holds no address or name",
    ),
    Holder(
        "accounts.User",
        "staff accounts (employees and partners), not contacts",
        "not touched: staff accounts are managed by admins",
        in_scope=False,
    ),
)

BY_MODEL: dict[str, Holder] = {h.model: h for h in HOLDERS}


def holder_labels() -> set[str]:
    """Lower-cased "app_label.modelname" of every listed model."""
    return {h.model.lower() for h in HOLDERS}
