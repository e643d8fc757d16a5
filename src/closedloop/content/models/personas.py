"""Buyer personas co-authored by sales and marketing: every contribution and comment keeps the
side it came from, so both teams can see who knows what about the buyer (seed 003)."""

from django.conf import settings
from django.db import models

from closedloop.crm.lifecycle import Stage


class Side(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"


class PersonaSection(models.TextChoices):
    GOALS = "goals", "Goals"
    PAINS = "pains", "Pains"
    OBJECTIONS = "objections", "Objections"
    BUYING_ROLE = "buying_role", "Buying role"
    CHANNELS = "channels", "Channels"
    TITLES = "titles", "Typical titles"
    COMPANY_SIZES = "company_sizes", "Typical company sizes"


class Persona(models.Model):
    # The slug is what Contact.persona holds and what agreement rules compare with
    # (`persona == "ops_manager"`), so it is fixed once created.
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    summary = models.TextField(blank=True)
    # A rules expression (docs/rules.md) deciding which contacts this persona describes.
    match_rule = models.CharField(max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PersonaContribution(models.Model):
    """One statement about the persona (a pain, an objection…) for one funnel stage or all stages.
    Edits never overwrite: the new text replaces the old one, which stays as history."""

    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="contributions")
    section = models.CharField(max_length=20, choices=PersonaSection.choices)
    stage = models.CharField(
        max_length=20, choices=Stage.choices, blank=True, help_text="Empty: every stage."
    )
    text = models.TextField()
    side = models.CharField(max_length=20, choices=Side.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["section", "stage", "created_at", "id"]
        indexes = [models.Index(fields=["persona", "retired_at"])]

    def __str__(self) -> str:
        return f"{self.get_section_display()}: {self.text[:60]}"


class PersonaComment(models.Model):
    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="comments")
    contribution = models.ForeignKey(
        PersonaContribution, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    side = models.CharField(max_length=20, choices=Side.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]
