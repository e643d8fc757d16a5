"""The agreement (DESIGN §2, seed 003): the sales–marketing SLA as numbered versions. Each version
holds the funnel's stage order, one definition per stage (a rule plus its plain-language
explanation), SLA terms, personas, the designated lead qualifiers and the two heads' signatures.

Lifecycle of a version (services.py enforces it):

    draft ──propose──▶ proposed ──both heads sign──▶ signed ──activate──▶ active ──▶ superseded
      ▲                   │
      └──── any edit ─────┘          draft or proposed ──withdraw──▶ withdrawn

"signed" means both signatures are present; activation follows in the same transaction, so a
version rests in "signed" only if activation was deferred. Activating a version supersedes the
previously active one. Signed, active and superseded versions never change: an edit is a new draft.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PROPOSED = "proposed", "Proposed"
    SIGNED = "signed", "Signed"
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Statuses whose content is frozen: what was signed is what stays on record.
FROZEN = frozenset({Status.SIGNED, Status.ACTIVE, Status.SUPERSEDED, Status.WITHDRAWN})


class Side(models.TextChoices):
    """The two teams of the agreement: who owns a stage or a term, who signs."""

    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"


class SlaKind(models.TextChoices):
    # Clocks: measured per lead from the moment it enters `stage`.
    FIRST_CONTACT_WITHIN = "first_contact_within", "First contact within"
    ACCEPT_WITHIN = "accept_within", "Accept or reject within"
    REJECTION_REASON_WITHIN = "rejection_reason_within", "Rejected leads get a reason within"
    FOLLOW_UP_WITHIN = "follow_up_within", "Follow-up within"
    # Volumes: counted per calendar month, leads entering `stage`.
    VOLUME_PER_MONTH = "volume_per_month", "Leads delivered per month"


class SlaUnit(models.TextChoices):
    BUSINESS_HOURS = "business_hours", "business hours"
    HOURS = "hours", "hours"
    BUSINESS_DAYS = "business_days", "business days"
    DAYS = "days", "days"
    COUNT = "count", "leads"


CLOCK_UNITS = frozenset({SlaUnit.BUSINESS_HOURS, SlaUnit.HOURS, SlaUnit.BUSINESS_DAYS, SlaUnit.DAYS})
VOLUME_KINDS = frozenset({SlaKind.VOLUME_PER_MONTH})


class AgreementVersion(models.Model):
    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(max_length=200, default="Sales and marketing agreement")
    purpose = models.TextField(blank=True, help_text="Why the two teams sign this; plain text.")
    stage_order = models.JSONField(default=list, help_text="Stage slugs, first to last.")
    sales_ready_stage = models.CharField(
        max_length=40, default="sql", help_text="Entering this stage hands the lead to sales."
    )
    marketing_responsibilities = models.TextField(blank=True, help_text="One responsibility per line.")
    sales_responsibilities = models.TextField(blank=True, help_text="One responsibility per line.")
    qualifiers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="qualifier_in_agreements",
        help_text="People designated to process and qualify leads (seed 002).",
    )
    change_note = models.TextField(blank=True, help_text="What this version changes and why.")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    proposed_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            # At most one agreement governs the funnel at any time.
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="agreement_one_active_version"
            ),
        ]

    def __str__(self) -> str:
        return f"Agreement v{self.number} ({self.get_status_display().lower()})"

    @property
    def is_editable(self) -> bool:
        return self.status in (Status.DRAFT, Status.PROPOSED)


class StageDefinition(models.Model):
    """When a contact enters `stage`: a rule over the rule language's vocabulary, explained in words."""

    version = models.ForeignKey(AgreementVersion, on_delete=models.CASCADE, related_name="stage_definitions")
    stage = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    rule = models.TextField(
        blank=True, help_text="Rule source; empty when the stage is entered by a recorded event (a deal)."
    )
    explanation = models.TextField(blank=True, help_text="Plain language; sanitised, no HTML.")
    owner_team = models.CharField(max_length=20, choices=Side.choices)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "stage"], name="agreement_one_definition_per_stage")
        ]

    def __str__(self) -> str:
        return f"v{self.version.number} {self.stage}"


class SlaTerm(models.Model):
    version = models.ForeignKey(AgreementVersion, on_delete=models.CASCADE, related_name="sla_terms")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=40, choices=SlaKind.choices)
    amount = models.PositiveIntegerField()
    unit = models.CharField(max_length=20, choices=SlaUnit.choices)
    stage = models.CharField(max_length=40, help_text="The stage whose leads the term applies to.")
    owner_team = models.CharField(max_length=20, choices=Side.choices, help_text="The team held to it.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.get_unit_display()} ({self.stage})"

    @property
    def is_clock(self) -> bool:
        return self.kind not in VOLUME_KINDS


class AgreementPersona(models.Model):
    """A persona the definitions refer to by key (`persona in ["ops_manager"]`). The personas app
    will own the full profiles; the agreement keeps what was agreed at signing."""

    version = models.ForeignKey(AgreementVersion, on_delete=models.CASCADE, related_name="personas")
    position = models.PositiveSmallIntegerField(default=0)
    key = models.CharField(max_length=60)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="agreement_persona_key_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Signature(models.Model):
    """One head's signature on one side. The signer's name and role are kept as they were."""

    version = models.ForeignKey(AgreementVersion, on_delete=models.CASCADE, related_name="signatures")
    side = models.CharField(max_length=20, choices=Side.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signer_name = models.CharField(max_length=150)
    signer_role = models.CharField(max_length=32)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "side"], name="agreement_one_signature_per_side")
        ]

    def __str__(self) -> str:
        return f"{self.signer_name} for {self.side}"
