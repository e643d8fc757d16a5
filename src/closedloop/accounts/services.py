"""Writes for users, teams and API tokens. Every change to a user or a token records an audit entry
in the same transaction, so the log holds exactly the changes that were stored."""

import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone

from closedloop.accounts.models import ApiToken, Team, User, token_digest
from closedloop.accounts.roles import SCOPES, Role, scopes_for_role
from closedloop.audit.services import audit_record

TOKEN_PREFIX = "cl_"  # noqa: S105 - a public marker, not a secret
# Marks an argument left out, since None is a meaningful value (no team, no manager).
UNCHANGED: Any = object()


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": f"unknown role {role!r}; choose one of {', '.join(Role.values)}"})


def _check_manager(user: User | None, manager: User | None) -> None:
    if manager is None:
        return
    if user is not None and manager.pk == user.pk:
        raise ValidationError({"manager": "a user cannot be their own manager"})
    if not manager.is_active:
        raise ValidationError({"manager": f"{manager.username} is deactivated"})


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
    manager: User | None = None,
    actor: User | None = None,
) -> User:
    """Create a user; `actor` is the admin who did it (None: the command line or the system)."""
    _check_role(role)
    _check_manager(None, manager)
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        team=team,
        manager=manager,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        summary=f"created user {user.username} ({user.get_role_display()})",
        changes={
            "role": [None, role],
            "team": [None, team.name if team else None],
            "manager": [None, manager.username if manager else None],
        },
    )
    return user


def user_record_created(*, user: User, actor: User | None, how: str) -> None:
    """Audit a user made outside user_create (Django admin's add form)."""
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        summary=f"created user {user.username} ({user.get_role_display()}) in {how}",
        changes={"role": [None, user.role]},
    )


# Values never copied into the log: the hash is a secret, even hashed.
SECRET_FIELDS = frozenset({"password"})


def user_record_change(*, user: User, actor: User | None, old: User, fields: list[str]) -> None:
    """Audit a change to fields without a service of their own (name, email, staff flags, …)."""
    changes: dict[str, Any] = {}
    for name in sorted(fields):
        try:
            field = User._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if name in SECRET_FIELDS or field.many_to_many:
            changes[name] = "changed"
        elif getattr(old, name) != getattr(user, name):
            # A form may list a field as changed when only its rendering differed.
            changes[name] = [getattr(old, name), getattr(user, name)]
    if changes:
        audit_record(
            actor=actor,
            action="user.change",
            obj=user,
            summary=f"{user.username}: changed {', '.join(sorted(changes))}",
            changes=changes,
        )


def _other_active_admins(user: User) -> int:
    # Locked so two admins demoting each other at once cannot both pass the check (PostgreSQL).
    others = User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk)
    return len(list(others.values_list("pk", flat=True)))


def _refuse_losing_last_admin(user: User, *, field: str, doing: str) -> None:
    if user.role == Role.ADMIN and user.is_active and _other_active_admins(user) == 0:
        raise ValidationError({field: f"{user.username} is the last active admin and cannot be {doing}"})


def user_check_keeps_an_admin(*, user: User, role: str, is_active: bool) -> None:
    """Refuse, before anything is saved, a change that would leave no active admin."""
    if role != Role.ADMIN:
        _refuse_losing_last_admin(user, field="role", doing="given another role")
    if not is_active:
        _refuse_losing_last_admin(user, field="is_active", doing="deactivated")


def _name(user: User | None) -> str | None:
    return user.username if user else None


@transaction.atomic
def user_change(
    *,
    user: User,
    actor: User | None,
    role: str | None = None,
    team: Team | None = UNCHANGED,
    manager: User | None = UNCHANGED,
) -> User:
    """Change a user's role, team or manager (arguments left out stay as they are); one audit entry
    per kind of change: "user.role_change", "user.team_change", "user.manager_change"."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if role is not None and role != user.role:
        _check_role(role)
        _refuse_losing_last_admin(user, field="role", doing="given another role")
        old = user.role
        user.role = role
        # An admin operates the whole installation (Django admin included); other roles do not.
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.save(update_fields=["role", "is_staff", "is_superuser"])
        audit_record(
            actor=actor,
            action="user.role_change",
            obj=user,
            summary=f"{user.username}: role {Role(old).label} → {Role(role).label}",
            changes={"role": [old, role]},
        )
    if team is not UNCHANGED and team != user.team:
        old_team = user.team
        user.team = team
        user.save(update_fields=["team"])
        audit_record(
            actor=actor,
            action="user.team_change",
            obj=user,
            summary=f"{user.username}: team {old_team or 'none'} → {team or 'none'}",
            changes={"team": [old_team.name if old_team else None, team.name if team else None]},
        )
    if manager is not UNCHANGED and manager != user.manager:
        _check_manager(user, manager)
        old_manager = user.manager
        user.manager = manager
        user.save(update_fields=["manager"])
        audit_record(
            actor=actor,
            action="user.manager_change",
            obj=user,
            summary=f"{user.username}: manager {_name(old_manager) or 'none'} → {_name(manager) or 'none'}",
            changes={"manager": [_name(old_manager), _name(manager)]},
        )
    return user


@transaction.atomic
def user_deactivate(*, user: User, actor: User | None) -> User:
    """Sign-in and the user's API tokens stop working; the user and their history stay."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ValidationError({"is_active": f"{user.username} is already deactivated"})
    _refuse_losing_last_admin(user, field="is_active", doing="deactivated")
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="user.deactivate",
        obj=user,
        summary=f"deactivated {user.username}",
        changes={"is_active": [True, False]},
    )
    return user


@transaction.atomic
def user_reactivate(*, user: User, actor: User | None) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        raise ValidationError({"is_active": f"{user.username} is already active"})
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="user.reactivate",
        obj=user,
        summary=f"reactivated {user.username}",
        changes={"is_active": [False, True]},
    )
    return user


def scopes_for_user(user: User) -> list[str]:
    """The scopes a token of `user` may carry: those of the role, or all for a superuser, whom
    every role check lets through (User.has_role)."""
    return sorted(SCOPES) if user.is_superuser else scopes_for_role(user.role)


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    scopes: Iterable[str] | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored in clear.

    `scopes=None` gives every scope the user's role holds now; a later change of role does not
    widen the token, and the role check still applies to every request."""
    allowed = scopes_for_user(user)
    chosen = allowed if scopes is None else sorted(set(scopes))
    if scopes is not None and not chosen:
        raise ValidationError({"scopes": "choose at least one scope"})
    for scope in chosen:
        if scope not in SCOPES:
            raise ValidationError({"scopes": f"unknown scope {scope!r}"})
        if scope not in allowed:
            raise ValidationError(
                {"scopes": f"scope {scope!r} is not allowed for role {user.get_role_display()}"}
            )
    name = name.strip()
    if not name:
        raise ValidationError({"name": "give the token a name"})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:120], prefix=raw[:10], digest=token_digest(raw), scopes=chosen
    )
    # The prefix identifies the token in the log; the secret is never recorded.
    audit_record(
        actor=actor,
        action="token.create",
        obj=token,
        summary=f"created API token {token.name!r} ({token.prefix}…) for {user.username}",
        # Space-separated, as OAuth writes scopes; a list would read as an [old, new] pair.
        changes={"user": user.username, "scopes": " ".join(chosen)},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None = None) -> None:
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError({"token": f"token {token.name!r} is already revoked"})
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="token.revoke",
        obj=token,
        summary=f"revoked API token {token.name!r} ({token.prefix}…) of {token.user.username}",
        changes={"user": token.user.username},
    )


def api_token_find(*, raw: str) -> ApiToken | None:
    """The live token for a bearer secret: not revoked, and its user still active."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Writing last_used_at on every request would serialise ingest on SQLite; once a minute is enough.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def api_token_authenticate(*, raw: str) -> User | None:
    token = api_token_find(raw=raw)
    return token.user if token else None
