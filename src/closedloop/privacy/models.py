"""Personal data (GDPR): the retention settings and the record of each erasure.

An erasure record keeps no address, only a keyed hash of it, so the product can still recognise
(and refuse to mail) an address it was asked to forget without storing the address itself."""

from django.conf import settings
from django.db import models


class RetentionPolicy(models.Model):
    """How long personal data is kept. One row (pk=1); `retention_policy_get()` creates it.
    A blank number of days or months means "keep forever" / "off"."""

    event_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Delete tracked events older than this many days; blank keeps them forever.",
    )
    anonymous_event_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=395,
        help_text="Delete events of visitors never identified as a contact after this many days.",
    )
    email_body_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=365,
        help_text="Clear the text of sent emails after this many days; the delivery rows stay.",
    )
    inactive_contact_months = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Erase contacts with no touchpoint, activity or open deal for this many months; "
        "blank turns it off.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "retention policy"

    def __str__(self) -> str:
        return "Retention policy"


class ErasureRecord(models.Model):
    """Proof that a contact was erased, and when, why and by whom — without the person's data."""

    class Reason(models.TextChoices):
        REQUEST = "request", "The person asked to be forgotten"
        RETENTION = "retention", "Retention period passed"
        OTHER = "other", "Other lawful reason"

    # The contact row stays as an anonymous tombstone, so aggregates keep their rows.
    contact = models.OneToOneField(
        "crm.Contact", null=True, on_delete=models.SET_NULL, related_name="erasure"
    )
    contact_number = models.PositiveBigIntegerField(help_text="The contact's id, kept if the row goes.")
    # salted_hmac of the lower-cased address with the site's SECRET_KEY: blank when it had none.
    email_hash = models.CharField(max_length=64, blank=True, db_index=True)
    was_suppressed = models.BooleanField(default=False)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    erased_at = models.DateTimeField(db_index=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Rows changed per inventory entry, e.g. {"tracking.event": 12}: numbers only.
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-erased_at", "-id"]

    def __str__(self) -> str:
        return f"Erasure of contact {self.contact_number}"
