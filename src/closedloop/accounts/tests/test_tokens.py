"""Scoped API tokens: a token may do what both its user's role and its scopes allow."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.models import ApiToken
from closedloop.accounts.roles import INTERNAL, SCOPES, Permission, Role, scopes_for_role
from closedloop.accounts.services import api_token_create, api_token_revoke, user_deactivate
from closedloop.audit.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EVENT = {
    "idempotency_key": "k1",
    "type": "page_view",
    "ts": "2026-06-01T10:00:00+02:00",
    "contact": {"email": "ann@example.com"},
}


def _auth(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _ingest(client, raw):
    return client.post(
        "/api/v1/events/batch",
        data=json.dumps({"events": [EVENT]}),
        content_type="application/json",
        **_auth(raw),
    )


def test_permissions_stay_role_sets_and_gain_a_scope_name():
    assert Permission.VIEW_CONTACTS == INTERNAL and isinstance(Permission.VIEW_CONTACTS, frozenset)
    assert Role.SALES_REP in Permission.VIEW_CONTACTS
    assert Permission.INGEST_EVENTS.scope == "ingest_events"
    assert SCOPES["ingest_events"] is Permission.INGEST_EVENTS
    # Partners hold exactly the six EVERYONE permissions of roles.py.
    assert scopes_for_role(Role.PARTNER) == [
        "view_agreement",
        "view_alarms",
        "view_content",
        "view_dashboard",
        "view_insights",
        "view_shared_meetings",
    ]


def test_ingest_only_token_can_send_events_but_not_read_contacts(client):
    marketer = UserFactory(role=Role.MARKETER)
    _, raw = api_token_create(user=marketer, name="website", scopes=["ingest_events"])
    assert _ingest(client, raw).status_code == 200
    resp = client.get("/api/v1/contacts", **_auth(raw))
    assert resp.status_code == 403
    assert resp.json() == {"errors": [{"loc": [], "msg": "this API token lacks the scope 'view_contacts'"}]}
    # The same user signed in with a browser session is not limited by any token.
    client.force_login(marketer)
    assert client.get("/api/v1/contacts").status_code == 200


def test_token_never_exceeds_its_users_role(client):
    rep = UserFactory(role=Role.SALES_REP)
    with pytest.raises(ValidationError, match="scope 'ingest_events' is not allowed for role Sales rep"):
        api_token_create(user=rep, name="x", scopes=["view_contacts", "ingest_events"])
    with pytest.raises(ValidationError, match="unknown scope 'everything'"):
        api_token_create(user=rep, name="x", scopes=["everything"])
    with pytest.raises(ValidationError, match="choose at least one scope"):
        api_token_create(user=rep, name="x", scopes=[])
    assert ApiToken.objects.count() == 0
    # A token made while the user was a marketer loses ingest when the role no longer holds it.
    marketer = UserFactory(role=Role.MARKETER)
    _, raw = api_token_create(user=marketer, name="website", scopes=["ingest_events"])
    marketer.role = Role.SALES_REP
    marketer.save()
    assert _ingest(client, raw).status_code == 403


def test_default_scopes_are_those_of_the_role_at_creation():
    token, _ = api_token_create(user=UserFactory(role=Role.PARTNER), name="agency")
    assert token.scopes == [
        "view_agreement",
        "view_alarms",
        "view_content",
        "view_dashboard",
        "view_insights",
        "view_shared_meetings",
    ]


def test_revoked_and_deactivated_users_tokens_get_401(client):
    admin = UserFactory(role=Role.ADMIN)
    marketer = UserFactory(role=Role.MARKETER)
    token, raw = api_token_create(user=marketer, name="a", scopes=["ingest_events"], actor=admin)
    _, raw2 = api_token_create(user=marketer, name="b", scopes=["ingest_events"], actor=admin)
    api_token_revoke(token=token, actor=admin)
    assert _ingest(client, raw).status_code == 401
    assert _ingest(client, raw2).status_code == 200
    user_deactivate(user=marketer, actor=admin)
    assert _ingest(client, raw2).status_code == 401
    with pytest.raises(ValidationError, match="already revoked"):
        api_token_revoke(token=token, actor=admin)


def test_token_changes_are_audited_without_the_secret():
    admin = UserFactory(role=Role.ADMIN, username="root")
    marketer = UserFactory(role=Role.MARKETER, username="mo")
    token, raw = api_token_create(user=marketer, name="site", scopes=["ingest_events"], actor=admin)
    api_token_revoke(token=token, actor=admin)
    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.action, e.actor, e.object_id) for e in entries] == [
        ("token.create", admin, str(token.pk)),
        ("token.revoke", admin, str(token.pk)),
    ]
    assert entries[0].changes == {"user": "mo", "scopes": "ingest_events"}
    for e in entries:
        assert raw not in json.dumps(e.changes) + e.summary + e.object_repr
        assert raw[len(token.prefix) :] not in e.summary


def test_a_role_set_without_a_name_needs_a_token_with_every_scope(rf):
    marketer = UserFactory(role=Role.MARKETER)
    narrow, _ = api_token_create(user=marketer, name="n", scopes=["view_contacts"])
    full, _ = api_token_create(user=marketer, name="f")
    request = rf.get("/")
    request.auth = marketer
    request.api_token = narrow
    with pytest.raises(Exception, match="needs all scopes"):
        require_role(request, INTERNAL | {Role.PARTNER})
    request.api_token = full
    assert require_role(request, INTERNAL | {Role.PARTNER}) == marketer
    # A named permission widened to more roles keeps its scope.
    wider = Permission.VIEW_CONTACTS.including(Role.PARTNER)
    assert wider.scope == "view_contacts" and Role.PARTNER in wider
    request.api_token = narrow
    assert require_role(request, wider) == marketer


def test_createtoken_needs_scopes_named_or_all(capsys):
    UserFactory(username="web", role=Role.MARKETER)
    with pytest.raises(CommandError, match="--scope"):
        call_command("createtoken", "web", "--name", "site")
    with pytest.raises(CommandError, match="--scope: scope 'view_audit' is not allowed"):
        call_command("createtoken", "web", "--scope", "view_audit")
    call_command(
        "createtoken", "web", "--name", "site", "--scope", "ingest_events", "--scope", "view_contacts"
    )
    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(name="site")
    assert raw.startswith(token.prefix) and token.scopes == ["ingest_events", "view_contacts"]
    call_command("createtoken", "web", "--name", "all", "--all-scopes")
    assert ApiToken.objects.get(name="all").scopes == scopes_for_role(Role.MARKETER)
    # The command line has no actor: "system" in the log.
    assert AuditEntry.objects.filter(action="token.create", actor=None).count() == 2
