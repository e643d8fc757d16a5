"""The audit log: one row per change to the agreement and to shared data (DESIGN §3.12).
Rows are only ever added: database triggers refuse UPDATE and DELETE (migration 0003). A migration
that rebuilds this table on SQLite (most AlterField operations) drops the triggers and must create
them again; tests/test_append_only.py fails if they are missing."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    actor = models.ForeignKey(
        # PROTECT: setting the actor to NULL would be an UPDATE, which the log refuses. Users are
        # deactivated, never deleted, once they have acted.
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text="Who it was when it happened.")
    action = models.CharField(max_length=80, db_index=True, help_text='Dotted verb, e.g. "agreement.sign".')
    object_type = models.CharField(
        max_length=80, help_text='app_label.model, e.g. "agreement.agreementversion".'
    )
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=500)
    changes = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or 'system'}: {self.summary}"
