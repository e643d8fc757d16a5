"""Handoff (DESIGN §3.3): a sales-ready lead routed to a rep, who accepts or rejects it with a reason.
Routing rules, rejection reasons and each rep's capacity and out-of-office live here too."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class HandoffStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    # A pending handoff closed because the contact left the sales-ready stage some other way.
    RECYCLED = "recycled", "Recycled"


class RejectionReason(models.Model):
    """A reason code sales may give when rejecting a lead; marketing reads the counts."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label


class RoutingRule(models.Model):
    """'Leads matching this condition go to this rep (or this team's reps)'. Lowest priority first."""

    priority = models.PositiveIntegerField(default=100)
    name = models.CharField(max_length=120)
    # An expression in the rule language (docs/rules.md), e.g. `company_size >= 500 || country == "DE"`.
    condition = models.TextField()
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_user__isnull=False) | Q(target_team__isnull=False),
                name="routing_rule_has_target",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RepAvailability(models.Model):
    """Capacity cap and out-of-office for one rep. No row means: no cap, in the office."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    # Most pending handoffs a rep may hold; null: no cap.
    max_open_handoffs = models.PositiveIntegerField(null=True, blank=True)
    out_of_office_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Availability of {self.user}"


class Handoff(models.Model):
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="handoffs")
    stage = models.CharField(max_length=20, help_text="The contact's stage when it was handed off.")
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="handoffs"
    )
    routed_at = models.DateTimeField(db_index=True)
    routing_rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL)
    routing_reason = models.CharField(max_length=300)
    status = models.CharField(
        max_length=20, choices=HandoffStatus.choices, default=HandoffStatus.PENDING, db_index=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason_code = models.CharField(max_length=40, blank=True)
    comment = models.TextField(blank=True)
    agreement_version = models.ForeignKey(
        "agreement.AgreementVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-routed_at", "-id"]
        indexes = [models.Index(fields=["routed_to", "status"])]
        constraints = [
            # At most one open handoff per contact: routing twice must not give a lead two owners.
            models.UniqueConstraint(
                fields=["contact"], condition=Q(status="pending"), name="handoff_one_pending_per_contact"
            )
        ]

    def __str__(self) -> str:
        return f"Handoff of contact {self.contact_id} to {self.routed_to_id}"

    @property
    def is_pending(self) -> bool:
        return self.status == HandoffStatus.PENDING
