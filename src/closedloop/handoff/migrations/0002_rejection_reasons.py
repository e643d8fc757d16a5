"""Seed the rejection reason codes sales picks from (seed 002: sales tells marketing why)."""

from django.db import migrations

REASONS = [
    ("not_a_fit", "Not a fit"),
    ("no_budget", "No budget"),
    ("bad_data", "Bad data"),
    ("duplicate", "Duplicate"),
    ("wrong_timing", "Wrong timing"),
    ("no_response", "No response"),
    ("competitor", "Went with a competitor"),
]


def seed(apps, schema_editor):
    RejectionReason = apps.get_model("handoff", "RejectionReason")
    for position, (code, label) in enumerate(REASONS):
        RejectionReason.objects.get_or_create(code=code, defaults={"label": label, "position": position})


def unseed(apps, schema_editor):
    apps.get_model("handoff", "RejectionReason").objects.filter(code__in=[c for c, _ in REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("handoff", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
