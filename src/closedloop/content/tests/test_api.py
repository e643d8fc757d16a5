"""The content API: assets, status, reviews, search, personas, shares; errors in the one shape;
roles enforced."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from closedloop.accounts.services import api_token_create
from closedloop.content.models import ContentAsset
from tests.factories import ContactFactory, DealFactory


def auth(user) -> dict[str, str]:
    _, raw = api_token_create(user=user, name="test")
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db
def test_asset_lifecycle_through_the_api(client, marketer, rep, ops_persona):
    m, r = auth(marketer), auth(rep)
    response = client.post("/api/v1/content/assets", {"title": "ROI worksheet", "asset_type": "one_pager",
                           "body_html": "<p>Payback</p><script>x</script>", "tags": {"persona": ["ops_manager"],
                           "stage": ["opportunity"]}}, content_type="application/json", headers=m)  # fmt: skip
    assert response.status_code == 201, response.content
    asset = response.json()
    assert (asset["status"], asset["body_html"], asset["tags"]["persona"]) == (
        "idea",
        "<p>Payback</p>",
        ["ops_manager"],
    )
    url = f"/api/v1/content/assets/{asset['id']}"
    bad = client.post(f"{url}/status", {"status": "published"}, content_type="application/json", headers=m)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["status"]
    for status in ("brief", "in_review"):
        assert (
            client.post(
                f"{url}/status", {"status": status}, content_type="application/json", headers=m
            ).status_code
            == 200
        )
    review = client.post(
        f"{url}/reviews", {"decision": "approved"}, content_type="application/json", headers=m
    )
    assert review.status_code == 403  # marketing may not approve for sales
    assert (
        client.post(
            f"{url}/reviews", {"decision": "approved"}, content_type="application/json", headers=r
        ).status_code
        == 201
    )
    published = client.post(
        f"{url}/status", {"status": "published"}, content_type="application/json", headers=m
    )
    assert published.json()["status"] == "published"
    pdf = SimpleUploadedFile("roi.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    uploaded = client.post(f"{url}/file", {"file": pdf}, headers=m)
    assert uploaded.status_code == 200 and uploaded.json()["version"] == 2
    fake = SimpleUploadedFile("roi.pdf", b"<html>", content_type="application/pdf")
    refused = client.post(f"{url}/file", {"file": fake}, headers=m)
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["file"]
    patch = client.patch(url, {"title": ""}, content_type="application/json", headers=m)
    assert patch.status_code == 422 and patch.json()["errors"][0]["loc"] == ["title"]
    assert client.get("/api/v1/content/assets?persona=ops_manager", headers=r).json()["count"] == 1


@pytest.mark.django_db
def test_search_personas_and_shares_api(client, marketer, rep, partner, ops_persona):
    from closedloop.content.tests.conftest import published_asset

    asset = published_asset(marketer, rep, title="Pricing objection script", asset_type="sales_script",
                            body="<p>When the prospect says it is too expensive</p>")  # fmt: skip
    r = auth(rep)
    hits = client.get("/api/v1/content/search?q=too+expensive", headers=r).json()
    assert hits[0]["asset"]["id"] == asset.pk and 0 < hits[0]["score"] <= 1
    assert client.get("/api/v1/content/search?q=", headers=r).status_code == 422
    detail = client.get("/api/v1/content/personas/ops_manager", headers=r).json()
    assert detail["match_rule"] == 'persona == "ops_manager"' and detail["match"]["contacts"] == 0
    added = client.post("/api/v1/content/personas/ops_manager/contributions", {"section": "objections",
                        "text": "Fears a long rollout", "stage": "opportunity"}, content_type="application/json",
                        headers=r)  # fmt: skip
    assert added.status_code == 201 and added.json()["side"] == "sales"
    bad = client.post(
        "/api/v1/content/personas",
        {"slug": "Bad Slug", "name": "x"},
        content_type="application/json",
        headers=r,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["slug"]
    deal = DealFactory(contact=ContactFactory(email="p@x.example"))
    share = client.post("/api/v1/content/shares", {"asset_id": asset.pk, "deal_id": deal.pk},
                        content_type="application/json", headers=r)  # fmt: skip
    assert share.status_code == 201 and "/api/v1/content/s/" in share.json()["url"]
    assert client.get("/api/v1/content/shares?mine=true", headers=r).json()["count"] == 1
    missing = asset.pk + deal.pk + 1000
    unknown = client.post("/api/v1/content/shares", {"asset_id": asset.pk, "deal_id": missing},
                          content_type="application/json", headers=r)  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["deal_id"]
    unknown_asset = client.get(f"/api/v1/content/shares?asset_id={missing}", headers=r)
    assert unknown_asset.status_code == 422 and unknown_asset.json()["errors"][0]["loc"] == ["asset_id"]
    p = auth(partner)
    assert client.get("/api/v1/content/assets", headers=p).json()["count"] == 1
    assert client.get("/api/v1/content/personas", headers=p).status_code == 403
    refused = client.post("/api/v1/content/shares", {"asset_id": asset.pk, "deal_id": deal.pk},
                          content_type="application/json", headers=p)  # fmt: skip
    assert refused.status_code == 403 and refused.json()["errors"][0]["msg"]
    assert client.get("/api/v1/content/assets").status_code == 401
    assert ContentAsset.objects.count() == 1
