"""Sales shaping content (seed 003, "Get Sales Involved in Content Creation"): reps shortlist
ideas, comment on briefs, approve drafts before they publish, and report how an asset did with
real prospects."""

from django.conf import settings
from django.db import models

from closedloop.content.models.assets import ContentAsset
from closedloop.content.models.personas import Side


class Brief(models.Model):
    asset = models.OneToOneField(ContentAsset, on_delete=models.CASCADE, related_name="brief")
    goal = models.TextField(help_text="What the asset must achieve, for whom.")
    key_messages = models.TextField(blank=True)
    sales_questions = models.TextField(blank=True, help_text="Questions prospects ask that it must answer.")
    due_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Brief: {self.asset}"


class BriefComment(models.Model):
    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    side = models.CharField(max_length=20, choices=Side.choices)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class AssetShortlist(models.Model):
    """A rep's vote that an idea is worth making."""

    asset = models.ForeignKey(ContentAsset, on_delete=models.CASCADE, related_name="shortlists")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["asset", "user"], name="asset_shortlist_once")]


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class AssetReview(models.Model):
    """Sales' verdict on one version; publishing needs an approval of the current version."""

    asset = models.ForeignKey(ContentAsset, on_delete=models.CASCADE, related_name="reviews")
    version = models.PositiveIntegerField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]


class ProspectFeedback(models.Model):
    """ "Tested on prospects": how the asset landed when a rep used it."""

    class Outcome(models.TextChoices):
        HELPED = "helped", "Helped move the deal"
        NEUTRAL = "neutral", "No visible effect"
        HURT = "hurt", "Confused or put off the prospect"

    asset = models.ForeignKey(ContentAsset, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.TextField(blank=True)
    deal = models.ForeignKey("crm.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
