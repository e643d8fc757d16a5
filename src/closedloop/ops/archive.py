"""The backup archive: one gzip-compressed tar file holding the database, the uploaded media and a
manifest (`manifest.json`, the last member) with the sha256 of every other member.

Reading an archive extracts it into a staging folder and checks every member against the manifest
before anything else happens, so a damaged, truncated or edited archive is refused while the live
database and media are still untouched."""

import gzip
import hashlib
import io
import json
import tarfile
import time
import zlib
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore was refused or failed; the message says why and what to do."""


class _Hashing:
    """A read-only file wrapper that hashes what tarfile reads from it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha256.update(data)
        return data


class ArchiveWriter:
    """Adds files one by one, recording their checksums, then closes with the manifest."""

    def __init__(self, path: Path) -> None:
        self.tar = tarfile.open(path, "w:gz", compresslevel=6)  # noqa: SIM115 (closed in close())
        self.files: dict[str, dict[str, Any]] = {}

    def add(self, name: str, source: Path) -> None:
        with source.open("rb") as raw:
            size = source.stat().st_size
            info = tarfile.TarInfo(name)
            info.size = size
            info.mtime = int(source.stat().st_mtime)
            info.mode = 0o644
            hashing = _Hashing(raw)
            self.tar.addfile(info, hashing)  # type: ignore[arg-type]
        self.files[name] = {"sha256": hashing.sha256.hexdigest(), "size": size}

    def close(self, manifest: dict[str, Any]) -> dict[str, Any]:
        manifest = {**manifest, "format": FORMAT, "files": self.files}
        body = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        info.mtime = int(time.time())
        info.mode = 0o644
        self.tar.addfile(info, io.BytesIO(body))
        self.tar.close()
        return manifest

    def abort(self) -> None:
        self.tar.close()


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"the archive holds a file with an unsafe path, {name!r}; refusing it")
    return path


def archive_extract(archive: Path, staging: Path) -> dict[str, Any]:
    """Extract `archive` into the empty folder `staging` and verify it; returns the manifest."""
    if not archive.is_file():
        raise BackupError(f"no backup file at {archive}")
    seen: dict[str, str] = {}
    manifest_body: bytes | None = None
    try:
        # One pass, front to back. GzipFile checks the CRC and length at the end of the stream,
        # which is read to its end even after the tar's end marker: damage anywhere is noticed.
        with gzip.open(archive, "rb") as unzipped, tarfile.open(fileobj=unzipped, mode="r|") as tar:
            for member in tar:
                if not member.isfile():
                    raise BackupError(f"the archive holds {member.name!r}, which is not a plain file")
                name = _safe_name(member.name)
                source = tar.extractfile(member)
                assert source is not None  # a plain file always has a body
                if str(name) == MANIFEST:
                    manifest_body = source.read()
                    continue
                target = staging.joinpath(*name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                seen[str(name)] = digest.hexdigest()
            while unzipped.read(CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(
            f"{archive} cannot be read, it is damaged or truncated ({exc}); nothing was restored"
        ) from exc
    if manifest_body is None:
        raise BackupError(
            f"{archive} has no {MANIFEST}: it is not a closedloop backup or it is truncated; nothing was restored"
        )
    try:
        manifest = json.loads(manifest_body)
    except ValueError as exc:
        raise BackupError(f"the manifest of {archive} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{archive} has backup format {manifest.get('format')!r}; this version reads {FORMAT}"
        )
    listed = {name: meta["sha256"] for name, meta in manifest.get("files", {}).items()}
    missing = sorted(set(listed) - set(seen))
    extra = sorted(set(seen) - set(listed))
    if missing or extra:
        raise BackupError(
            f"{archive} does not match its manifest (missing: {', '.join(missing) or 'none'}; "
            f"not listed: {', '.join(extra) or 'none'}); nothing was restored"
        )
    bad = sorted(name for name, digest in seen.items() if listed[name] != digest)
    if bad:
        raise BackupError(f"checksum mismatch in {archive} for {', '.join(bad)}; nothing was restored")
    return manifest
