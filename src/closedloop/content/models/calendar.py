"""The content calendar both teams plan on, and the secret tokens behind each user's iCal feed."""

from django.conf import settings
from django.db import models

from closedloop.tracking.models import Channel


class CalendarEntry(models.Model):
    title = models.CharField(max_length=200)
    asset = models.ForeignKey(
        "content.ContentAsset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calendar_entries",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    publish_on = models.DateField(db_index=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["publish_on", "id"]

    def __str__(self) -> str:
        return f"{self.publish_on}: {self.title}"


class CalendarFeedToken(models.Model):
    """Calendar apps cannot log in, so the feed URL carries a per-user secret; only its digest
    is stored, and creating a new one revokes the old URL."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
