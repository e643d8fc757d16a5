"""The agreements API: reads, lifecycle writes, refusals in the one error shape."""

import pytest

from closedloop.accounts.services import api_token_create
from closedloop.agreement import services
from closedloop.agreement.models import Status

API = "/api/v1/agreements"


def auth(user) -> dict:
    _, raw = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_list_and_detail_and_active(client, active, maya, alex):
    services.agreement_draft_create(by=maya)
    response = client.get(API, **auth(alex))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(v["number"], v["status"]) for v in body["items"]] == [(2, "draft"), (1, "active")]
    assert {s["side"] for s in body["items"][1]["signatures"]} == {"marketing", "sales"}

    detail = client.get(f"{API}/1", **auth(alex)).json()
    assert detail["stage_order"][:4] == ["visitor", "iql", "mql", "sql"]
    assert detail["sales_ready_stage"] == "sql"
    mql = next(d for d in detail["stage_definitions"] if d["stage"] == "mql")
    assert "downloads_30d" in mql["rule"] and mql["in_words"] and mql["owner_team"] == "marketing"
    assert detail["sla_terms"][0]["kind"] == "first_contact_within"
    assert detail["signatures"][0]["signer_name"] == "Maya Lindqvist"

    assert client.get(f"{API}/active", **auth(alex)).json()["number"] == 1


def test_partner_reads_only_the_active_agreement(client, active, jamie):
    assert client.get(f"{API}/active", **auth(jamie)).status_code == 200
    response = client.get(f"{API}/1", **auth(jamie))
    assert response.status_code == 403
    assert response.json() == {"errors": [{"loc": [], "msg": "your role may not do this"}]}


def test_no_active_agreement_is_404_in_the_error_shape(client, alex, db):
    response = client.get(f"{API}/active", **auth(alex))
    assert response.status_code == 404
    assert response.json() == {"errors": [{"loc": [], "msg": "no agreement is active yet"}]}
    assert client.get(f"{API}/9", **auth(alex)).json() == {
        "errors": [{"loc": [], "msg": "no agreement version 9"}]
    }


def test_unauthenticated_is_401(client, db):
    assert client.get(f"{API}/active").status_code == 401


def test_lifecycle_through_the_api(client, maya, sam, tom):
    response = client.post(f"{API}/drafts", {}, content_type="application/json", **auth(tom))
    assert response.status_code == 201 and response.json()["status"] == "draft"
    number = response.json()["number"]

    patch = {
        "stage_definitions": [
            {"stage": "mql", "rule": "lead_score >= 60", "explanation": "Scored 60 or more."}
        ],
        "sla_terms": [
            {
                "kind": "first_contact_within",
                "amount": 2,
                "unit": "business_hours",
                "stage": "sql",
                "owner_team": "sales",
            }
        ],
    }
    response = client.patch(f"{API}/{number}", patch, content_type="application/json", **auth(tom))
    assert response.status_code == 200, response.json()
    body = response.json()
    mql = next(d for d in body["stage_definitions"] if d["stage"] == "mql")
    assert (mql["rule"], mql["explanation"]) == ("lead_score >= 60", "Scored 60 or more.")
    assert len(body["stage_definitions"]) == 7  # the others are untouched
    assert [t["amount"] for t in body["sla_terms"]] == [2]

    assert client.post(f"{API}/{number}/propose", **auth(tom)).json()["status"] == "proposed"
    sign = {"content_type": "application/json"}
    assert (
        client.post(f"{API}/{number}/sign", {"side": "marketing"}, **sign, **auth(maya)).json()["status"]
        == "proposed"
    )
    body = client.post(f"{API}/{number}/sign", {"side": "sales"}, **sign, **auth(sam)).json()
    assert body["status"] == "active" and body["activated_at"]


@pytest.mark.parametrize("signer", ["tom", "alex"])
def test_marketer_or_sales_rep_signing_is_403_with_a_clear_message(request, client, proposed, signer):
    user = request.getfixturevalue(signer)
    response = client.post(f"{API}/1/sign", {"side": "sales"}, content_type="application/json", **auth(user))
    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert error["msg"].startswith(f"Only the head of sales may sign for sales; {user.display_name} is a")


def test_head_of_marketing_signing_for_sales_is_403(client, proposed, maya):
    response = client.post(f"{API}/1/sign", {"side": "sales"}, content_type="application/json", **auth(maya))
    assert response.status_code == 403
    assert "Only the head of sales may sign for sales" in response.json()["errors"][0]["msg"]


def test_signing_a_side_twice_is_422(client, proposed, maya):
    client.post(f"{API}/1/sign", {"side": "marketing"}, content_type="application/json", **auth(maya))
    response = client.post(
        f"{API}/1/sign", {"side": "marketing"}, content_type="application/json", **auth(maya)
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["side"] and "Marketing already signed version 1" in error["msg"]


def test_bad_side_is_422(client, proposed, maya):
    response = client.post(
        f"{API}/1/sign", {"side": "finance"}, content_type="application/json", **auth(maya)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["side"]


def test_editing_an_active_version_is_422(client, active, maya):
    response = client.patch(f"{API}/1", {"title": "New"}, content_type="application/json", **auth(maya))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["status"] and "Make a new draft from it" in error["msg"]


def test_sales_rep_may_not_edit(client, draft, alex):
    response = client.patch(f"{API}/1", {"title": "New"}, content_type="application/json", **auth(alex))
    assert response.status_code == 403


def test_bad_edit_points_into_the_agreement(client, draft, maya):
    body = {
        "sla_terms": [
            {
                "kind": "first_contact_within",
                "amount": 4,
                "unit": "count",
                "stage": "sql",
                "owner_team": "sales",
            }
        ]
    }
    response = client.patch(f"{API}/1", body, content_type="application/json", **auth(maya))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["sla_terms", 0, "unit"]
    response = client.patch(
        f"{API}/1", {"sla_terms": [{"kind": "nope"}]}, content_type="application/json", **auth(maya)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:2] == ["sla_terms", 0]


def test_propose_with_a_bad_rule_is_422_naming_stage_and_position(client, draft, maya):
    body = {"stage_definitions": [{"stage": "mql", "rule": "lead_score >= 60 &&"}]}
    assert client.patch(f"{API}/1", body, content_type="application/json", **auth(maya)).status_code == 200
    response = client.post(f"{API}/1/propose", **auth(maya))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["stage_definitions", "mql", "rule"]
    assert error["msg"].startswith("MQL rule: line 1, column ")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_withdraw(client, draft, maya):
    response = client.post(
        f"{API}/1/withdraw", {"reason": "start over"}, content_type="application/json", **auth(maya)
    )
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


def test_diff(client, active, maya, alex):
    draft = services.agreement_draft_create(by=maya)
    services.agreement_draft_update(
        version=draft, by=maya, stage_definitions=[{"stage": "mql", "rule": "lead_score >= 60"}]
    )
    response = client.get(f"{API}/1/diff/2", **auth(alex))
    assert response.status_code == 200
    body = response.json()
    assert body["old_number"] == 1 and body["new_number"] == 2 and body["is_empty"] is False
    assert body["stage_order"] is None and body["fields"] == [] and body["sla_terms"] == []
    [stage] = body["stages"]
    assert stage["stage"] == "mql" and stage["change"] == "changed"
    assert stage["fields"]["rule"]["new"] == "lead_score >= 60"
    assert {"op": "+", "text": "lead_score >= 60"} in stage["rule_lines"]


def test_validate_rule(client, maya):
    ok = client.post(
        f"{API}/validate-rule",
        {"source": 'lead_score >= 60 && persona == "cfo"'},
        content_type="application/json",
        **auth(maya),
    )
    assert ok.status_code == 200
    body = ok.json()
    assert body["valid"] is True and body["errors"] == [] and body["description"]
    assert body["variables"] == ["lead_score", "persona"]

    bad = client.post(
        f"{API}/validate-rule", {"source": "lead_score >= "}, content_type="application/json", **auth(maya)
    ).json()
    assert bad["valid"] is False
    [error] = bad["errors"]
    assert error["line"] == 1 and error["column"] >= 12 and error["message"]

    empty = client.post(
        f"{API}/validate-rule", {"source": "  "}, content_type="application/json", **auth(maya)
    ).json()
    assert empty["valid"] is False and empty["errors"][0]["code"] == "empty"


def test_malformed_body_gets_the_error_shape(client, draft, maya):
    response = client.patch(
        f"{API}/1", {"stage_order": "visitor"}, content_type="application/json", **auth(maya)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["stage_order"]


def test_openapi_document_describes_the_agreement_endpoints(client, alex):
    client.force_login(alex)
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for path in ("/api/v1/agreements", "/api/v1/agreements/active", "/api/v1/agreements/{number}",
                 "/api/v1/agreements/drafts", "/api/v1/agreements/{number}/sign",
                 "/api/v1/agreements/{a}/diff/{b}", "/api/v1/agreements/validate-rule"):  # fmt: skip
        assert path in paths, path
    assert "patch" in paths["/api/v1/agreements/{number}"]
