"""CRM core: accounts (companies), contacts, their stage history, deals and activities."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from closedloop.crm.lifecycle import Stage


class Account(models.Model):
    name = models.CharField(max_length=255)
    # Deduplication key: lower-cased, punctuation and legal suffixes ("Inc.", "GmbH") removed.
    normalized_name = models.CharField(max_length=255, unique=True)
    domain = models.CharField(max_length=255, blank=True, db_index=True)
    industry = models.CharField(max_length=120, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    country = models.CharField(max_length=80, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    # Email is the identity key for upserts; stored lower-cased so "Ann@X.com" and "ann@x.com" merge.
    email = models.EmailField(max_length=254, null=True, blank=True, unique=True)
    first_name = models.CharField(max_length=120, blank=True)
    last_name = models.CharField(max_length=120, blank=True)
    title = models.CharField(max_length=160, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    persona = models.CharField(max_length=80, blank=True, db_index=True)
    lifecycle_stage = models.CharField(
        max_length=20, choices=Stage.choices, default=Stage.VISITOR, db_index=True
    )
    lead_score = models.IntegerField(default=0)
    # First-touch campaign: what brought the contact in. Drives cost per lead and funnel filters.
    source_campaign = models.ForeignKey(
        "tracking.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="sourced_contacts"
    )
    properties = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(Lower("last_name"), name="contact_last_name_ci"),
            # Covers the dashboard funnel (contacts created in a period, by stage and first touch).
            models.Index(
                fields=["created_at", "lifecycle_stage", "source_campaign"], name="contact_funnel_cover"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or f"Contact {self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class StageTransition(models.Model):
    """One row per stage change: the answer to "why and when did this lead become an MQL?"."""

    class Cause(models.TextChoices):
        IMPORT = "import", "Import"
        API = "api", "API"
        MANUAL = "manual", "Manual change"
        RULE = "rule", "Agreement rule"
        DEAL = "deal", "Deal outcome"
        DEMO = "demo", "Demo data"
        AUTOMATION = "automation", "Workflow"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="stage_transitions")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    at = models.DateTimeField(db_index=True)
    cause = models.CharField(max_length=20, choices=Cause.choices)
    detail = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # Set by the stage engine: the agreement version in force and the rule that fired (cause "rule").
    agreement_version = models.ForeignKey(
        "agreement.AgreementVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # db_default: bulk writers that predate these fields (ingest, imports) leave the column out.
    rule = models.CharField(max_length=2000, blank=True, default="", db_default="")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["contact", "at"])]


class Deal(models.Model):
    class DealStage(models.TextChoices):
        PROSPECTING = "prospecting", "Prospecting"
        ENGAGING = "engaging", "Engaging"
        PROPOSAL = "proposal", "Proposal"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    name = models.CharField(max_length=255)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    product = models.CharField(max_length=120, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    stage = models.CharField(
        max_length=20, choices=DealStage.choices, default=DealStage.PROSPECTING, db_index=True
    )
    lost_reason = models.CharField(max_length=255, blank=True)
    source_campaign = models.ForeignKey(
        "tracking.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    created_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.stage in (self.DealStage.WON, self.DealStage.LOST)


class Activity(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        NOTE = "note", "Note"
        TASK = "task", "Task"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    deal = models.ForeignKey(Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="activities")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at"]
