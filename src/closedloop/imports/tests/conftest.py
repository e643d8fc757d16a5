"""Shared helpers for the import tests: uploads land in a temporary MEDIA_ROOT, times are UTC
unless a test says otherwise, and CSV files are written from rows in a few lines."""

import csv
import io
from pathlib import Path

import pytest

from closedloop.accounts.roles import Role
from tests.factories import UserFactory

# The datasets live beside the repository (../shared/datasets), not in it.
REPO = Path(__file__).resolve().parents[4]
MAVEN = REPO.parent / "shared" / "datasets" / "maven_crm_sales_opportunities"
needs_maven = pytest.mark.skipif(not MAVEN.is_dir(), reason=f"dataset not found at {MAVEN}")


@pytest.fixture(autouse=True)
def _media_and_time(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TIME_ZONE = "UTC"


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def write_csv(tmp_path):
    """write_csv(rows | text, name=..., encoding=...) → path of the file."""
    counter = iter(range(1000))

    def write(content, *, name: str | None = None, encoding: str = "utf-8", delimiter: str = ",") -> Path:
        path = tmp_path / (name or f"file{next(counter)}.csv")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            text = content if isinstance(content, str) else csv_text(content, delimiter)
            path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture
def marketer(db):
    return UserFactory(username="mia", first_name="Mia", last_name="Marketer", role=Role.MARKETER)


@pytest.fixture
def marketer_client(client, marketer):
    client.force_login(marketer)
    return client
