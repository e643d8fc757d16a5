"""Authentication and role checks for pages, the API and tokens."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from closedloop.accounts.models import ApiToken, User
from closedloop.accounts.roles import Role
from closedloop.accounts.services import api_token_authenticate, api_token_create, user_create
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_production_hashing_is_argon2():
    from closedloop.config import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_argon2_hash_is_stored(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = user_create(username="ann", password="a long enough secret", role=Role.MARKETER)
    assert user.password.startswith("argon2$")
    assert user.check_password("a long enough secret")


def test_unknown_role_is_refused():
    with pytest.raises(ValidationError, match="unknown role 'wizard'"):
        user_create(username="x", password="whatever123", role="wizard")


@pytest.mark.parametrize("path", ["/", "/contacts/", "/imports/"])
def test_pages_redirect_anonymous_users_to_login(client, path):
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp["Location"].startswith("/accounts/login/?next=")


def test_login_with_bad_password_fails_and_good_one_works(client):
    UserFactory(username="rep", role=Role.SALES_REP)
    bad = client.post("/accounts/login/", {"username": "rep", "password": "nope"})
    assert bad.status_code == 200 and "_auth_user_id" not in client.session
    good = client.post("/accounts/login/", {"username": "rep", "password": PASSWORD})
    assert good.status_code == 302 and client.session["_auth_user_id"]


def test_api_rejects_anonymous_reads(client):
    resp = client.get("/api/v1/contacts")
    assert resp.status_code == 401
    assert resp.json() == {"errors": [{"loc": ["Authorization"], "msg": "authentication required"}]}


def test_api_role_check_applies_to_session_users(client):
    partner = UserFactory(role=Role.PARTNER)
    client.force_login(partner)
    assert client.get("/api/v1/contacts").status_code == 403
    client.force_login(UserFactory(role=Role.SALES_REP))
    assert client.get("/api/v1/contacts").status_code == 200


def test_token_secret_is_not_stored_and_deactivated_user_cannot_use_it():
    user = UserFactory(role=Role.MARKETER)
    _, raw = api_token_create(user=user, name="ci")
    assert raw.startswith("cl_") and raw not in ApiToken.objects.values_list("digest", flat=True)
    assert api_token_authenticate(raw=raw) == user
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api_token_authenticate(raw=raw) is None


def test_createuser_and_createtoken_commands(capsys):
    call_command("createuser", "mia", "--role", "head_of_marketing", "--password", "a long enough secret")
    out = capsys.readouterr().out
    assert "Created mia (Head of marketing)" in out
    call_command("createtoken", "mia", "--name", "etl", "--all-scopes")
    raw = capsys.readouterr().out.strip()
    assert api_token_authenticate(raw=raw).username == "mia"


def test_openapi_document_is_served(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    assert "/api/v1/events/batch" in paths and "/api/v1/contacts/upsert" in paths
