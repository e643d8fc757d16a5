"""The content library: assets of the seed-003 types, their tags, and every version."""

from django.conf import settings
from django.db import models


class AssetType(models.TextChoices):
    BLOG_POST = "blog_post", "Blog post"
    WHITEPAPER = "whitepaper", "Whitepaper"
    CASE_STUDY = "case_study", "Case study"
    SALES_SCRIPT = "sales_script", "Sales script"
    PRODUCT_SHEET = "product_sheet", "Product sheet"
    COMPETITOR_COMPARISON = "competitor_comparison", "Competitor comparison"
    EMAIL_TEMPLATE = "email_template", "Email template"
    MESSENGER_TEMPLATE = "messenger_template", "Messenger template"
    SMS_TEMPLATE = "sms_template", "SMS template"
    ONE_PAGER = "one_pager", "One-pager"
    WEBINAR = "webinar", "Webinar"


class AssetStatus(models.TextChoices):
    IDEA = "idea", "Idea"
    BRIEF = "brief", "Brief"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class TagKind(models.TextChoices):
    STAGE = "stage", "Funnel stage"
    PERSONA = "persona", "Persona"
    PRODUCT = "product", "Product"
    CAMPAIGN = "campaign", "Campaign"


class ContentAsset(models.Model):
    """The current state of an asset; each saved change is also kept as an AssetVersion."""

    title = models.CharField(max_length=200)
    asset_type = models.CharField(max_length=30, choices=AssetType.choices, db_index=True)
    summary = models.TextField(blank=True)
    body_html = models.TextField(blank=True, help_text="Sanitised HTML.")
    url = models.URLField(max_length=1000, blank=True)
    file = models.FileField(upload_to="content/%Y/%m/", blank=True, max_length=300)
    file_name = models.CharField(max_length=255, blank=True)
    file_type = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=AssetStatus.choices, default=AssetStatus.IDEA, db_index=True
    )
    version = models.PositiveIntegerField(default=1)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_shareable(self) -> bool:
        return self.status == AssetStatus.PUBLISHED


class AssetTag(models.Model):
    asset = models.ForeignKey(ContentAsset, on_delete=models.CASCADE, related_name="tags")
    kind = models.CharField(max_length=20, choices=TagKind.choices)
    value = models.CharField(max_length=120)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["asset", "kind", "value"], name="asset_tag_unique")]
        indexes = [models.Index(fields=["kind", "value"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class AssetVersion(models.Model):
    asset = models.ForeignKey(ContentAsset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    url = models.URLField(max_length=1000, blank=True)
    file = models.CharField(max_length=300, blank=True, help_text="Storage name of the file of this version.")
    file_name = models.CharField(max_length=255, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["asset", "-number"]
        constraints = [models.UniqueConstraint(fields=["asset", "number"], name="asset_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"
