"""What the running code knows about the installation it serves: the database and media to back up."""

from pathlib import Path

from django.conf import settings
from django.db.migrations.loader import MigrationLoader

from closedloop.ops.backup import Database
from closedloop.ops.databases import database_from_settings


def live_database() -> Database:
    return database_from_settings(settings.DATABASES["default"])


def live_media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def known_migrations() -> set[tuple[str, str]]:
    """Every migration this version of closedloop ships (applied or not)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
