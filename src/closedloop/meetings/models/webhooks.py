"""Outgoing Slack-compatible webhooks: where to post, and a log of every delivery with its retries."""

from django.db import models


class WebhookTarget(models.Model):
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500)
    # Optional: when set, each request carries an HMAC-SHA256 signature of its body.
    secret = models.CharField(max_length=200, blank=True)
    # Event names this target receives, comma-separated ("win,action_item"); empty means all.
    events = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        names = {e.strip() for e in self.events.split(",") if e.strip()}
        return not names or event in names


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    target = models.ForeignKey(WebhookTarget, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
