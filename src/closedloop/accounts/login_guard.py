"""Login rate limiting and lockout: after too many wrong passwords for one username from one client
address, that pair is locked out for a while; one address guessing across many usernames is capped
too. Counters live in the cache, so the check costs no database query.

Wired as the authentication backend (settings AUTHENTICATION_BACKENDS), so every password login goes
through it: the sign-in page, the admin's login and anything else calling `authenticate`."""

import hashlib
import math
import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

# One address may fail this many times more than one username may, across all usernames: an office
# behind one NAT address still works while a password-spraying client is stopped.
ADDRESS_FACTOR = 10


class LoginLocked(PermissionDenied):
    """Too many failed logins; `authenticate` treats it as "stop, nobody is signed in"."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} seconds")
        self.retry_after = retry_after


def _setting(name: str, default: int | str) -> Any:
    return getattr(settings, name, default)


def _cache() -> Any:
    return caches[_setting("LOGIN_GUARD_CACHE", "default")]


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is written by the client unless a trusted proxy rewrites it,
    # and trusting it would let an attacker pick a fresh address for every guess.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
    return f"login-guard:{kind}:{digest}"


def _keys(username: str, address: str) -> tuple[str, str]:
    return _key("pair", username.casefold(), address), _key("address", address)


def locked_for(*, username: str, address: str) -> int:
    """Seconds until this username may try again from this address; 0 when not locked."""
    cache = _cache()
    now = time.time()
    until = max(cache.get(f"{k}:locked", 0) for k in _keys(username, address))
    return max(0, math.ceil(until - now))


def login_failed(*, username: str, address: str) -> int:
    """Count one failure; returns the lockout in seconds if this failure started one, else 0."""
    cache = _cache()
    window = int(_setting("LOGIN_GUARD_WINDOW_SECONDS", 900))
    lockout = int(_setting("LOGIN_GUARD_LOCKOUT_SECONDS", 900))
    limit = int(_setting("LOGIN_GUARD_MAX_FAILURES", 5))
    started = 0
    for key, cap in zip(_keys(username, address), (limit, limit * ADDRESS_FACTOR), strict=True):
        cache.add(f"{key}:failures", 0, timeout=window)
        try:
            failures = cache.incr(f"{key}:failures")
        except ValueError:  # expired between add and incr
            cache.set(f"{key}:failures", 1, timeout=window)
            failures = 1
        if failures >= cap:
            cache.set(f"{key}:locked", time.time() + lockout, timeout=lockout)
            cache.delete(f"{key}:failures")
            started = lockout
    return started


def login_succeeded(*, username: str, address: str) -> None:
    # Only the pair's count is forgiven: a correct password for one account says nothing about the
    # other usernames an address has been guessing.
    pair, _ = _keys(username, address)
    _cache().delete(f"{pair}:failures")


def _record_lockout(username: str, address: str, seconds: int) -> None:
    from closedloop.accounts.models import User
    from closedloop.audit.services import audit_record

    user = User.objects.filter(username=username).first()
    if user is not None:
        audit_record(
            actor=None,
            action="login.locked",
            obj=user,
            summary=f"Sign-in locked for {seconds} s after repeated wrong passwords from {address}",
            changes={"address": address, "seconds": seconds},
        )


class GuardedModelBackend(ModelBackend):
    """ModelBackend with a lockout in front: a locked pair is refused without checking the password,
    so guessing on during a lockout learns nothing."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get("username", "")
        if request is None or not username:
            # No client (a management command, a test's client.login): nothing to rate-limit by.
            return super().authenticate(request, username=username, password=password, **kwargs)
        address = client_address(request)
        wait = locked_for(username=username, address=address)
        if wait:
            request.login_guard_retry_after = wait  # type: ignore[attr-defined]
            raise LoginLocked(wait)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            started = login_failed(username=username, address=address)
            if started:
                _record_lockout(username, address, started)
        else:
            login_succeeded(username=username, address=address)
        return user


class GuardedAuthenticationForm(AuthenticationForm):
    """The sign-in form, saying "locked, try again in N minutes" instead of "wrong password" when
    the lockout refused the attempt."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": "Too many failed sign-ins. Try again in %(minutes)s minute(s).",
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            retry_after = getattr(self.request, "login_guard_retry_after", 0)
            if retry_after:
                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": math.ceil(retry_after / 60)},
                ) from None
            raise
