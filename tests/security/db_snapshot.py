"""A fingerprint of the whole database: every table's row count and a checksum of its rows, so a
test can prove that a refused operation left the database exactly as it was."""

import hashlib

from django.apps import apps

# The import job row records the attempt itself ("the past imports"); that is the one write a
# refused import is meant to make.
BOOKKEEPING = {"imports.importjob"}


def db_snapshot(exclude: set[str] = BOOKKEEPING) -> dict[str, tuple[int, str]]:
    """{"app.model": (row count, sha256 of its rows in primary-key order)}."""
    out = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in exclude or not model._meta.managed:
            continue
        rows = list(model._base_manager.order_by("pk").values_list())
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        out[label] = (len(rows), digest)
    return out


def snapshot_diff(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    """Tables whose rows changed, with their counts, for a readable assertion message."""
    return [
        f"{label}: {before.get(label, (0, ''))[0]} rows before, {after.get(label, (0, ''))[0]} after"
        for label in sorted(set(before) | set(after))
        if before.get(label) != after.get(label)
    ]
