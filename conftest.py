"""Root test configuration: the same suite runs on SQLite (default) and PostgreSQL (DATABASE_URL)."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that are not about hashing don't need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
