"""Recurring alignment meetings (seed 001's weekly sync, the monthly heads meeting): a series, its
occurrences with a data-built agenda pack, items people add, decisions and action items that are
carried over to the next occurrence until someone marks them done."""

from django.conf import settings
from django.db import models


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class MeetingSeries(models.Model):
    name = models.CharField(max_length=160)
    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    # Weekly: 0 = Monday … 6 = Sunday. Monthly: the day of the month (1–28, so every month has it).
    weekday = models.PositiveSmallIntegerField(default=0)
    day_of_month = models.PositiveSmallIntegerField(default=1)
    start_time = models.TimeField(help_text="Local time in the site's time zone.")
    starts_on = models.DateField(help_text="No occurrence before this day.")
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    location = models.CharField(max_length=200, blank=True)
    # Seed 001: the presider "holds all the numbers" and runs the agenda.
    presider = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="meeting_series")
    # An agency partner team that joins this series (seed 000); its members see this series only.
    partner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="meeting_series"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="series_weekday_range"),
            models.CheckConstraint(
                condition=models.Q(day_of_month__gte=1, day_of_month__lte=28),
                name="series_day_of_month_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MeetingOccurrence(models.Model):
    series = models.ForeignKey(MeetingSeries, on_delete=models.CASCADE, related_name="occurrences")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    notes = models.TextField(blank=True)
    # The generated agenda pack, frozen when generated so the minutes show what was discussed.
    pack = models.JSONField(default=dict, blank=True)
    pack_generated_at = models.DateTimeField(null=True, blank=True)
    held = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "starts_at"], name="one_occurrence_per_series_start"),
        ]

    def __str__(self) -> str:
        return f"{self.series.name} {self.starts_at:%Y-%m-%d}"


class AgendaItem(models.Model):
    occurrence = models.ForeignKey(MeetingOccurrence, on_delete=models.CASCADE, related_name="agenda_items")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_feed_item = models.ForeignKey(
        "meetings.FeedItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="agenda_items"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    occurrence = models.ForeignKey(MeetingOccurrence, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class ActionItem(models.Model):
    """Owned by one person with a due date. Raised in an occurrence (or from a brainstorm or the
    feed), it shows on every later occurrence of its series until it is done."""

    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items")
    due_on = models.DateField()
    series = models.ForeignKey(
        MeetingSeries, null=True, blank=True, on_delete=models.CASCADE, related_name="action_items"
    )
    raised_in = models.ForeignKey(
        MeetingOccurrence,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="raised_action_items",
    )
    source_feed_item = models.ForeignKey(
        "meetings.FeedItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    source_idea = models.ForeignKey(
        "meetings.Idea", null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
