"""Public URLs of shared content. The link id is signed so that guessing or editing a URL never
reaches someone else's copy, and the pages live under /api/ because prospects have no login."""

from django.core import signing

_SIGNER = signing.Signer(salt="closedloop.content.share")
PREFIX = "/api/v1/content/s/"


def share_token(public_id: str) -> str:
    return _SIGNER.sign(public_id)


def share_public_id(token: str) -> str | None:
    try:
        return _SIGNER.unsign(token)
    except signing.BadSignature:
        return None


def share_path(public_id: str) -> str:
    return f"{PREFIX}{share_token(public_id)}"
