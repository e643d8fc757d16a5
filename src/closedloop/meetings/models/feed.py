"""The live feed (seed 002): wins with the marketing touchpoints that helped, campaign results, a
rep's feedback on a lead or a piece of content, customer feedback — with reactions and comments.
The server-sent event stream reads this table in id order, so an id is also the resume point."""

from django.conf import settings
from django.db import models


class FeedKind(models.TextChoices):
    WIN = "win", "Deal won"
    CAMPAIGN_RESULT = "campaign_result", "Campaign result"
    REP_FEEDBACK = "rep_feedback", "Sales feedback"
    CUSTOMER_FEEDBACK = "customer_feedback", "Customer feedback"


class FeedItem(models.Model):
    kind = models.CharField(max_length=20, choices=FeedKind.choices, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the item is about; all optional.
    deal = models.ForeignKey("crm.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.ForeignKey(
        "tracking.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content_ref = models.CharField(max_length=200, blank=True, help_text="The piece of content it is about.")
    # e.g. the touchpoints that helped a win: [{"campaign": "...", "type": "...", "at": "..."}].
    details = models.JSONField(default=dict, blank=True)
    # Set when an agency partner team may see this item (it is about a campaign it runs).
    partner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class FeedReaction(models.Model):
    item = models.ForeignKey(FeedItem, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "user", "emoji"], name="one_reaction_per_emoji")
        ]


class FeedComment(models.Model):
    item = models.ForeignKey(FeedItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
