"""The inventory is complete: every model that can hold a contact's data is listed, and every
listed model and column exists (a renamed column must not silently stop being scrubbed)."""

from pathlib import Path

from django.apps import apps
from django.db import models

from closedloop.crm.models import Contact
from closedloop.privacy import erasure
from closedloop.privacy.inventory import HOLDERS, holder_labels


def models_holding_personal_data() -> set[str]:
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            related = getattr(field, "related_model", None)
            points_at_contact = field.concrete and related is not None and issubclass(related, Contact)
            if points_at_contact or isinstance(field, models.EmailField):
                found.add(model._meta.label_lower)
    return found


def test_every_model_related_to_contact_or_holding_an_email_is_in_the_inventory():
    missing = models_holding_personal_data() - holder_labels()
    assert missing == set(), (
        f"add these models to privacy/inventory.py (and docs/privacy.md): {sorted(missing)}"
    )


def test_the_walk_finds_the_models_it_must():
    # Guards the walk itself: these are known to link to contacts or hold an address.
    assert {"crm.contact", "tracking.event", "automation.outboundemail", "accounts.user"} <= (
        models_holding_personal_data()
    )


def test_every_listed_model_and_text_column_exists():
    for holder in HOLDERS:
        model = apps.get_model(holder.model)
        for name in holder.text_fields:
            field = model._meta.get_field(name)
            assert isinstance(field, models.CharField | models.TextField | models.JSONField), (
                holder.model,
                name,
            )


def test_every_erasure_step_belongs_to_a_listed_model():
    assert set(erasure.STEPS) <= holder_labels()


def test_the_documented_inventory_lists_every_model():
    docs = Path(__file__).resolve().parents[4] / "docs" / "privacy.md"
    text = docs.read_text(encoding="utf-8")
    assert [h.model for h in HOLDERS if f"| `{h.model}` |" not in text] == []
