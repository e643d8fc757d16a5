"""Data for the backup tests, written straight into the throwaway database, and archive surgery."""

import io
import json
import tarfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from closedloop.agreement.models import AgreementVersion
from closedloop.content.models import ContentAsset
from closedloop.crm.models import Contact
from closedloop.tracking.models import Event

# 10,250 bytes, every byte value present, so any change in transit shows.
BROCHURE = bytes(range(256)) * 40 + b"closedloop"
BROCHURE_NAME = "content/2026/06/brochure.pdf"
WHEN = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def populate(alias: str, media_root: Path) -> None:
    """Three contacts with 1, 1 and 2 events, one agreement version, one uploaded content file."""
    for name, events in (("ada", 1), ("bob", 1), ("cyd", 2)):
        contact = Contact.objects.using(alias).create(
            email=f"{name}@acme.example", first_name=name.title(), created_at=WHEN
        )
        for i in range(events):
            Event.objects.using(alias).create(
                idempotency_key=f"{name}-{i}", type="page_view", ts=WHEN, contact=contact, url=f"/p/{i}"
            )
    AgreementVersion.objects.using(alias).create(
        number=1, title="Q3 agreement", created_at=WHEN, updated_at=WHEN
    )
    ContentAsset.objects.using(alias).create(
        title="Brochure",
        asset_type="whitepaper",
        file=BROCHURE_NAME,
        file_name="brochure.pdf",
        file_size=len(BROCHURE),
        created_at=WHEN,
        updated_at=WHEN,
    )
    path = media_root / BROCHURE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(BROCHURE)


def archive_rewrite(
    source: Path,
    target: Path,
    *,
    manifest: Callable[[dict], dict] | None = None,
    members: dict[str, bytes] | None = None,
) -> None:
    """Copy a backup archive, editing its manifest or replacing members' bytes."""
    with tarfile.open(source, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "manifest.json" and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            elif members and member.name in members:
                data = members[member.name]
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
