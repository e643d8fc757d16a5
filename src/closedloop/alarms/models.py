"""An alarm: something a detector found that a person should look at now, with the numbers that
prove it. At most one active (open or acknowledged) alarm per kind and subject: the hourly check
updates it instead of raising a duplicate, and resolves it when the condition clears."""

from django.conf import settings
from django.db import models


class AlarmKind(models.TextChoices):
    CAMPAIGN_CONVERSION_GAP = "campaign_conversion_gap", "Campaign traffic without qualified leads"
    LANDING_PAGE_UNREVIEWED = "landing_page_unreviewed", "Landing page not reviewed by sales"
    LEADS_WITHOUT_OWNER = "leads_without_owner", "Sales-ready leads without owner"
    STAGE_CONVERSION_DROP = "stage_conversion_drop", "Stage conversion dropped"


class Severity(models.TextChoices):
    # Ordered from least to most urgent; `SEVERITY_RANK` sorts by it.
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK: dict[str, int] = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class AlarmStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


# Open and acknowledged alarms are "active": the check keeps updating them and resolves them when
# the condition clears. Acknowledging says "someone is on it", not "it is fixed".
ACTIVE_STATUSES = (AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED)


class Alarm(models.Model):
    kind = models.CharField(max_length=40, choices=AlarmKind.choices, db_index=True)
    # What the alarm is about. `subject_key` identifies it across checks ("campaign:12",
    # "stage:mql>sql", "all"); the foreign keys make it clickable and scope it for partners.
    subject_key = models.CharField(max_length=120)
    campaign = models.ForeignKey(
        "tracking.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="alarms"
    )
    landing_page = models.ForeignKey(
        "tracking.LandingPage", null=True, blank=True, on_delete=models.CASCADE, related_name="alarms"
    )
    stage_pair = models.CharField(max_length=40, blank=True, help_text='e.g. "mql>sql".')
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    status = models.CharField(max_length=15, choices=AlarmStatus.choices, default=AlarmStatus.OPEN)
    title = models.CharField(max_length=255)
    message = models.TextField()
    evidence = models.JSONField(default=dict, blank=True, help_text="The numbers behind the message.")
    first_raised_at = models.DateTimeField(db_index=True)
    last_seen_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=255, blank=True, help_text="Why it was resolved.")

    class Meta:
        ordering = ["-first_raised_at", "-id"]
        constraints = [
            # The check's idempotency rests on this: a second concurrent run cannot raise a twin.
            models.UniqueConstraint(
                fields=["kind", "subject_key"],
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="one_active_alarm_per_kind_and_subject",
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="alarm_status_kind")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
