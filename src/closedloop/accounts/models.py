"""Users, teams and API tokens."""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models

from closedloop.accounts.roles import Role, TeamKind


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=TeamKind.choices)

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.SALES_REP)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def has_role(self, roles: frozenset[str] | set[str]) -> bool:
        return self.is_active and (self.role in roles or self.is_superuser)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for machine clients; only its SHA-256 is stored, the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Permission names in lower case ("ingest_events"); the token may use only these, and only as far
    # as its user's role allows (accounts.api_auth.require_role).
    scopes = models.JSONField(default=list, blank=True, help_text="Scopes the token may use.")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
