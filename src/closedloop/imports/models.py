"""CSV import jobs: the uploaded file, how it reads, its column mapping, the dry run and the outcome."""

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    class Target(models.TextChoices):
        CONTACTS = "contacts", "Contacts (and their companies)"
        DEALS = "deals", "Deals / opportunities"
        ACCOUNTS = "accounts", "Accounts (companies)"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        MAPPED = "mapped", "Mapped"
        PREVIEWED = "previewed", "Previewed"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        WEB = "web", "Web upload"
        CLI = "cli", "Command line"

    # Web uploads keep their file; command-line imports read the file in place and store no copy.
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    target = models.CharField(max_length=20, choices=Target.choices)
    preset = models.CharField(max_length=40, blank=True)
    layout = models.JSONField(default=dict, blank=True, help_text="encoding, delimiter, headers, notes")
    mapping = models.JSONField(default=dict, blank=True, help_text="CSV column → closedloop field")
    options = models.JSONField(default=dict, blank=True, help_text="skip_invalid, day_first, create_owners")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True, help_text="the last dry run's report")
    summary = models.JSONField(default=dict, blank=True, help_text="the run's report")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import #{self.pk}: {self.original_name} → {self.target}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
