"""Checks on uploaded files before they are stored: a size limit and a content type that the
declared type, the file name and the file's first bytes all agree on (a renamed .exe is refused)."""

from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

MAX_FILE_BYTES = 25 * 1024 * 1024

_ZIP = b"PK\x03\x04"


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extensions: tuple[str, ...]
    magic: tuple[bytes, ...]  # empty: text, checked by decoding instead


KINDS = (
    FileKind("application/pdf", (".pdf",), (b"%PDF-",)),
    FileKind("image/png", (".png",), (b"\x89PNG\r\n\x1a\n",)),
    FileKind("image/jpeg", (".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    FileKind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",), (_ZIP,)
    ),
    FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), (_ZIP,)),
    FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), (_ZIP,)),
    FileKind("video/mp4", (".mp4",), ()),
    FileKind("text/plain", (".txt",), ()),
    FileKind("text/markdown", (".md",), ()),
)
_BY_TYPE = {k.content_type: k for k in KINDS}


def upload_check(upload: UploadedFile, *, field: str = "file") -> str:
    """The checked content type of `upload`; ValidationError naming `field` otherwise."""
    name = PurePath(upload.name or "").name
    if not name:
        raise ValidationError({field: "the file has no name"})
    if upload.size is None or upload.size == 0:
        raise ValidationError({field: "the file is empty"})
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError(
            {
                field: f"{name} is {upload.size / 1e6:.1f} MB; files may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB"
            }
        )
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    kind = _BY_TYPE.get(declared)
    allowed = ", ".join(sorted({e for k in KINDS for e in k.extensions}))
    if kind is None:
        raise ValidationError(
            {field: f"{name}: files of type {declared or 'unknown'} are not accepted ({allowed})"}
        )
    if not name.lower().endswith(kind.extensions):
        raise ValidationError(
            {field: f"{name}: the name does not end in {' or '.join(kind.extensions)} for {declared}"}
        )
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    if kind.magic and not head.startswith(kind.magic):
        raise ValidationError({field: f"{name} says it is {declared} but its contents are not"})
    if kind.content_type.startswith("text/"):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a multi-byte character cut at 4096 is fine
                raise ValidationError({field: f"{name} is not UTF-8 text"}) from None
    if kind.content_type == "video/mp4" and head[4:8] != b"ftyp":
        raise ValidationError({field: f"{name} says it is {declared} but its contents are not"})
    return kind.content_type
