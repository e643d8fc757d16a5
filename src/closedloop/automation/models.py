"""Marketing automation: workflows, each contact's progress through them, the timers that move
them on, the outbox of emails and webhook calls, consent and the suppression list.

Everything the worker needs to resume after a crash is a row here: an enrollment says where a
contact is, a timer says when its next step is due, an outbox row says what must leave the
building and whether it already did."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Workflow(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ARCHIVED = "archived", "Archived"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # The flow as data (docs/automation.md): trigger, steps, goal, re-entry. Validated on every save.
    definition = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    # Highest source row (stage transition, event or segment membership) the trigger scan has read.
    trigger_cursor = models.BigIntegerField(default=0)
    # The cursor when the trigger was switched on: rows at or below it happened before and never enroll.
    trigger_floor = models.BigIntegerField(default=0)
    date_fired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class Enrollment(models.Model):
    """One contact's pass through one workflow."""

    class Status(models.TextChoices):
        ACTIVE = "active", "In progress"
        COMPLETED = "completed", "Completed"
        GOAL = "goal", "Reached the goal"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="enrollments")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    # What enrolled the contact ("st:<transition id>", "ev:<event id>", …): a re-scan of the same
    # source row finds the key taken and enrolls nobody twice.
    trigger_key = models.CharField(max_length=80)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    current_step = models.CharField(max_length=64, blank=True)
    steps_run = models.PositiveIntegerField(default=0)
    entered_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    exit_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workflow", "trigger_key"], name="enrollment_once_per_trigger"),
            # At most one pass in progress per contact and workflow, whatever the re-entry rule.
            models.UniqueConstraint(
                fields=["workflow", "contact"], condition=Q(status="active"), name="one_active_enrollment"
            ),
        ]
        indexes = [models.Index(fields=["contact", "workflow"])]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.workflow_id}"


class Timer(models.Model):
    """The next step of an enrollment, due at `due_at`. Claimed by a worker with a lease; the step
    runs in the same transaction that deletes the timer, so it runs once or not at all."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="timers")
    step_id = models.CharField(max_length=64)
    due_at = models.DateTimeField()
    # For "wait … until": the latest moment to move on even if the condition never holds.
    deadline = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="timer_due")]


class WorkerLease(models.Model):
    """A named lease, e.g. the single scheduler on SQLite, which has no row locks to share work."""

    name = models.CharField(max_length=80, unique=True)
    holder = models.CharField(max_length=80, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)


class Segment(models.Model):
    """A static list of contacts that workflows add to, remove from and trigger on."""

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class SegmentMembership(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "contact"], name="one_membership_per_segment")
        ]


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    # Committed just before the final bytes go to the server: from here on it is never resent.
    HANDING_OVER = "handing_over", "Handing over"
    SENT = "sent", "Sent"
    BOUNCED = "bounced", "Bounced (hard)"
    SUPPRESSED = "suppressed", "Suppressed"
    FAILED = "failed", "Failed"
    # The sender died while handing over: the server may or may not have it. Never resent.
    UNCONFIRMED = "unconfirmed", "Unconfirmed"


class OutboundEmail(models.Model):
    idempotency_key = models.CharField(max_length=120, unique=True)
    workflow = models.ForeignKey(Workflow, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    enrollment = models.ForeignKey(
        Enrollment, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    step_id = models.CharField(max_length=64, blank=True)
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    to_email = models.CharField(max_length=254)
    domain = models.CharField(max_length=254, db_index=True)
    topic = models.CharField(max_length=80)
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    message_id = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED)
    due_at = models.DateTimeField()
    lease_token = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    smtp_response = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "due_at"], name="outbound_email_due"),
            models.Index(fields=["enrollment", "step_id"], name="outbound_email_step"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email}"


class OutboundWebhook(models.Model):
    idempotency_key = models.CharField(max_length=120, unique=True)
    workflow = models.ForeignKey(Workflow, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    enrollment = models.ForeignKey(
        Enrollment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    step_id = models.CharField(max_length=64, blank=True)
    url = models.CharField(max_length=2000)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED)
    due_at = models.DateTimeField()
    lease_token = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    response = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="outbound_webhook_due")]


class DomainRateLimit(models.Model):
    """At most `per_minute` emails a minute to one recipient domain ("*" for every other domain)."""

    domain = models.CharField(max_length=254, unique=True)
    per_minute = models.PositiveIntegerField()


class DomainSendWindow(models.Model):
    domain = models.CharField(max_length=254)
    window_start = models.DateTimeField()
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "window_start"], name="one_window_per_domain_minute")
        ]


class Topic(models.Model):
    """What an email is about (newsletter, nurture, product news); people unsubscribe per topic."""

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    # Opt-in topics mail only contacts who said yes; the others mail until the contact says no.
    requires_opt_in = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """A contact's current answer for one topic ("*" stands for every topic)."""

    class Status(models.TextChoices):
        SUBSCRIBED = "subscribed", "Subscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=80)
    status = models.CharField(max_length=20, choices=Status.choices)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "topic"], name="one_subscription_per_topic")
        ]


class ConsentRecord(models.Model):
    """Append-only evidence of when and how a contact said yes or no (GDPR art. 7(1))."""

    class Source(models.TextChoices):
        FORM = "form", "Form"
        IMPORT = "import", "Import"
        API = "api", "API"
        ONE_CLICK = "one_click", "One-click unsubscribe"
        UNSUBSCRIBE_PAGE = "unsubscribe_page", "Unsubscribe page"
        USER = "user", "Changed by a user"

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=80)
    status = models.CharField(max_length=20, choices=Subscription.Status.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    at = models.DateTimeField()
    detail = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["contact", "at"])]


class Suppression(models.Model):
    """Addresses nothing is ever sent to, whatever a workflow says: hard bounces, complaints,
    addresses a person asked to block."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Spam complaint"
        MANUAL = "manual", "Added by a user"

    email = models.CharField(max_length=254, unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.email
