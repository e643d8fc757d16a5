"""Campaigns with their costs and landing pages, and the touchpoint events that tie a contact's
journey to them — from the first ad click to the signed deal."""

from django.db import models


class Channel(models.TextChoices):
    PPC = "ppc", "Paid search (PPC)"
    SOCIAL = "social", "Paid social"
    EMAIL = "email", "Email"
    ORGANIC = "organic", "Organic search"
    EVENTS = "events", "Events"
    PARTNER = "partner", "Partner agency"
    REFERRAL = "referral", "Referral"
    DIRECT = "direct", "Direct"


class LandingPage(models.Model):
    url = models.URLField(max_length=500, unique=True)
    title = models.CharField(max_length=255, blank=True)
    # Seed 000: sales had never seen the PPC landing page that promised what they did not sell.
    reviewed_by_sales_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title or self.url


class Campaign(models.Model):
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=20, choices=Channel.choices, db_index=True)
    # The utm_campaign value that ties incoming events to this campaign.
    utm_campaign = models.SlugField(max_length=120, unique=True)
    landing_page = models.ForeignKey(LandingPage, null=True, blank=True, on_delete=models.SET_NULL)
    tracking_phone = models.CharField(max_length=40, blank=True)
    partner_team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
        help_text="The agency that runs this campaign; its users see only their campaigns.",
    )
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class CampaignCost(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="costs")
    date = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "date"], name="one_cost_entry_per_campaign_day"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="campaign_cost_not_negative"),
        ]


class EventType(models.TextChoices):
    AD_CLICK = "ad_click", "Ad click"
    PAGE_VIEW = "page_view", "Page view"
    CALL = "call", "Phone call"
    FORM_SUBMIT = "form_submit", "Form submitted"
    EMAIL_OPEN = "email_open", "Email opened"
    EMAIL_CLICK = "email_click", "Email link clicked"
    CONTENT_DOWNLOAD = "content_download", "Content downloaded"
    WEBINAR_ATTENDED = "webinar_attended", "Webinar attended"
    MEETING_BOOKED = "meeting_booked", "Meeting booked"


class Event(models.Model):
    """A touchpoint. Anonymous until its visitor is identified; then stitched to the contact."""

    idempotency_key = models.CharField(max_length=128, unique=True)
    type = models.CharField(max_length=32, choices=EventType.choices)
    ts = models.DateTimeField()
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    visitor_id = models.CharField(max_length=128, blank=True, db_index=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    utm_source = models.CharField(max_length=255, blank=True)
    utm_medium = models.CharField(max_length=255, blank=True)
    utm_campaign = models.CharField(max_length=255, blank=True)
    utm_term = models.CharField(max_length=255, blank=True)
    utm_content = models.CharField(max_length=255, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["contact", "ts"]),
            models.Index(fields=["campaign", "ts"]),
            models.Index(fields=["type", "ts"]),
        ]


class VisitorIdentity(models.Model):
    """Links an anonymous visitor id (cookie) to the contact it turned out to be."""

    visitor_id = models.CharField(max_length=128, unique=True)
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="visitor_ids")
    identified_at = models.DateTimeField()
