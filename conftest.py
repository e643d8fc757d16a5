"""Root test configuration: the same suite runs on SQLite (default) and PostgreSQL (DATABASE_URL)."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that are not about hashing don't need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Login lockout counters and report caches live in the process cache; one test's failed
    # sign-ins or cached numbers must not leak into the next.
    from django.core.cache import cache

    cache.clear()
    yield
