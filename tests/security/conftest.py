"""One signed-in user and one API token per role, shared by the security tests."""

import pytest

from closedloop.accounts.roles import Role
from closedloop.accounts.services import api_token_create, scopes_for_user, user_create


@pytest.fixture
def role_users(db):
    """{role: (user, bearer token)} with users made the way `closedloop createuser` makes them."""
    out = {}
    for role in Role.values:
        user = user_create(username=f"matrix-{role}", password="matrix password 1", role=role)
        # Every scope the role allows: the matrix tests the role checks, not narrowed tokens.
        _, raw = api_token_create(user=user, name="matrix", scopes=scopes_for_user(user))
        out[role] = (user, raw)
    return out
