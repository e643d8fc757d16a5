"""Tracked sharing (a rep's personalised copy sent to one prospect) and the search log that
feeds the "searched but not found" report."""

from django.conf import settings
from django.db import models

from closedloop.content.models.assets import ContentAsset


class SharedLink(models.Model):
    asset = models.ForeignKey(ContentAsset, on_delete=models.CASCADE, related_name="shares")
    version = models.PositiveIntegerField()
    public_id = models.CharField(max_length=32, unique=True)
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deal = models.ForeignKey("crm.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The personalised copy: what the prospect sees, frozen when shared.
    title = models.CharField(max_length=200)
    intro = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # Funnel stage of the contact when shared: "which stages did this asset touch".
    contact_stage = models.CharField(max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    seconds_viewed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["asset", "created_at"])]

    def __str__(self) -> str:
        return f"{self.title} → {self.contact or self.deal or 'prospect'}"


class LinkView(models.Model):
    """One opening of a shared link; the page's beacon reports the seconds it stayed visible."""

    link = models.ForeignKey(SharedLink, on_delete=models.CASCADE, related_name="views")
    view_key = models.CharField(max_length=32, unique=True)
    opened_at = models.DateTimeField()
    seconds = models.PositiveIntegerField(default=0)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]


class SearchQuery(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField(max_length=300)
    normalized = models.CharField(max_length=300, db_index=True)
    stage = models.CharField(max_length=20, blank=True)
    persona = models.CharField(max_length=60, blank=True)
    result_count = models.PositiveIntegerField(default=0)
    best_score = models.FloatField(default=0)
    best_coverage = models.FloatField(
        default=0, help_text="Share of the query's words the best result contains."
    )
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
