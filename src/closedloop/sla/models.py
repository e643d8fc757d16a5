"""SLA clocks (DESIGN §3.3, issue: the Agreement §6): each clock-type SLA term of the active
agreement becomes one clock per lead, with an owner, a start, a deadline in business time and an
outcome. The business calendar (hours, time zone, holidays) is one row the heads maintain."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class BusinessCalendar(models.Model):
    """The company's working week. One row (pk=1); `calendar_get()` creates it with defaults."""

    time_zone = models.CharField(max_length=64, default="UTC")
    # Comma-separated weekday numbers, Monday = 0: "0,1,2,3,4".
    workdays = models.CharField(max_length=20, default="0,1,2,3,4")
    day_start = models.TimeField(default="09:00")
    day_end = models.TimeField(default="17:00")
    holiday_country = models.CharField(
        max_length=10, blank=True, help_text="ISO country code for public holidays (the holidays package)."
    )
    holiday_subdivision = models.CharField(max_length=10, blank=True, help_text="State or region code.")
    closed_days = models.JSONField(default=list, blank=True, help_text="Extra closed dates, YYYY-MM-DD.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Business calendar ({self.time_zone})"


class ClockStatus(models.TextChoices):
    RUNNING = "running", "Running"
    MET = "met", "Met"
    # Stopped after its deadline, or still running past it.
    BREACHED = "breached", "Breached"
    # The lead left the stage the clock was about (recycled, reassigned): nobody is held to it.
    CANCELLED = "cancelled", "Cancelled"


class SlaClock(models.Model):
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="sla_clocks")
    handoff = models.ForeignKey(
        "handoff.Handoff", null=True, blank=True, on_delete=models.CASCADE, related_name="sla_clocks"
    )
    agreement_version = models.ForeignKey(
        "agreement.AgreementVersion", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A copy of the term as signed, so a later version does not rewrite history.
    kind = models.CharField(max_length=40)
    amount = models.PositiveIntegerField()
    unit = models.CharField(max_length=20)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="sla_clocks"
    )
    owner_team = models.CharField(max_length=20)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=ClockStatus.choices, default=ClockStatus.RUNNING)
    breached_at = models.DateTimeField(null=True, blank=True)
    # Business time from start to stop (or to the breach check), for the SLA report's medians.
    elapsed_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["owner", "status"]),
        ]
        constraints = [
            # One clock of a kind per handoff: starting clocks twice (a retried job) is harmless.
            models.UniqueConstraint(fields=["handoff", "kind"], name="sla_one_clock_per_handoff_kind"),
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True) | Q(stopped_at__gte=models.F("started_at")),
                name="sla_clock_stops_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for contact {self.contact_id} due {self.due_at:%Y-%m-%d %H:%M}"
