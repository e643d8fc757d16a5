"""CSV import jobs: the uploaded file, its column mapping and the outcome."""

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
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    target = models.CharField(max_length=20, choices=Target.choices)
    mapping = models.JSONField(default=dict, blank=True, help_text="CSV column → closedloop field")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
