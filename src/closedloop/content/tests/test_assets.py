"""The library: types, tags, versions, sanitised bodies, upload checks, the status workflow with
sales approval, briefs, shortlist and prospect feedback."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from closedloop.audit.models import AuditEntry
from closedloop.content.models import AssetVersion, ContentAsset
from closedloop.content.services import (
    asset_create,
    asset_review,
    asset_shortlist_toggle,
    asset_transition,
    asset_update,
    brief_comment_add,
    brief_save,
    prospect_feedback_add,
)
from closedloop.content.tests.conftest import NOW, published_asset

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


@pytest.mark.django_db
def test_body_is_sanitised_tags_validated_and_every_edit_is_a_version(marketer, ops_persona):
    asset = asset_create(
        title="Battlecard <b>OpsBoard</b>", asset_type="competitor_comparison", by=marketer, now=NOW,
        body_html='<p onclick="x()">Win <script>alert(1)</script><a href="javascript:evil()">here</a></p>',
        tags={"stage": ["opportunity"], "persona": ["ops_manager"], "product": ["Northwind Ops Professional"]},
    )  # fmt: skip
    assert asset.title == "Battlecard OpsBoard"
    assert (
        "script" not in asset.body_html
        and "onclick" not in asset.body_html
        and "javascript" not in asset.body_html
    )
    assert asset.body_html.startswith("<p>Win")
    assert sorted(f"{t.kind}:{t.value}" for t in asset.tags.all()) == [
        "persona:ops_manager", "product:Northwind Ops Professional", "stage:opportunity",
    ]  # fmt: skip
    asset = asset_update(
        asset=asset, fields={"body_html": "<p>Version two</p>"}, by=marketer, note="new numbers"
    )
    asset = asset_update(
        asset=asset, fields={"owner": marketer}, by=marketer
    )  # no content change: no version
    assert asset.version == 2
    assert list(AssetVersion.objects.filter(asset=asset).values_list("number", "note")) == [
        (2, "new numbers"), (1, "created"),
    ]  # fmt: skip
    with pytest.raises(ValidationError) as err:
        asset_create(title="x", asset_type="case_study", by=marketer, tags={"persona": ["nobody"]})
    assert "tags.persona" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        asset_create(title="", asset_type="podcast", by=marketer, url="ftp://x")
    assert set(err.value.message_dict) == {"title", "asset_type"}
    with pytest.raises(ValidationError) as err:
        asset_create(title="x", asset_type="blog_post", by=marketer, url="ftp://files.example/x")
    assert "url" in err.value.message_dict
    assert ContentAsset.objects.count() == 1


@pytest.mark.django_db
def test_uploads_are_size_limited_and_type_checked(marketer, settings):
    good = SimpleUploadedFile("sheet.pdf", PDF, content_type="application/pdf")
    asset = asset_create(title="Product sheet", asset_type="product_sheet", by=marketer, upload=good)
    assert (asset.file_name, asset.file_type, asset.file_size) == ("sheet.pdf", "application/pdf", len(PDF))
    assert asset.file.read() == PDF
    fake = SimpleUploadedFile("sheet.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError, match="its contents are not"):
        asset_create(title="Fake", asset_type="product_sheet", by=marketer, upload=fake)
    exe = SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/x-msdownload")
    with pytest.raises(ValidationError, match="not accepted"):
        asset_create(title="Exe", asset_type="product_sheet", by=marketer, upload=exe)
    renamed = SimpleUploadedFile("sheet.png", PDF, content_type="application/pdf")
    with pytest.raises(ValidationError, match=r"does not end in \.pdf"):
        asset_create(title="Renamed", asset_type="product_sheet", by=marketer, upload=renamed)
    from closedloop.content import uploads

    big = SimpleUploadedFile(
        "big.pdf", PDF + b"0" * (uploads.MAX_FILE_BYTES + 1 - len(PDF)), content_type="application/pdf"
    )
    with pytest.raises(ValidationError, match="at most 25 MB"):
        asset_create(title="Big", asset_type="whitepaper", by=marketer, upload=big)
    assert ContentAsset.objects.count() == 1


@pytest.mark.django_db
def test_status_workflow_needs_sales_approval_of_the_current_version(marketer, rep):
    asset = asset_create(
        title="ROI worksheet", asset_type="one_pager", body_html="<p>Payback</p>", by=marketer
    )
    with pytest.raises(ValidationError, match="cannot become published; it can become brief, retired"):
        asset_transition(asset=asset, to_status="published", by=marketer)
    asset_transition(asset=asset, to_status="brief", by=marketer)
    asset = asset_transition(asset=asset, to_status="in_review", by=marketer)
    with pytest.raises(ValidationError, match="sales has not approved version 1"):
        asset_transition(asset=asset, to_status="published", by=marketer)
    with pytest.raises(PermissionDenied):  # marketing cannot approve its own content for sales
        asset_review(asset=asset, decision="approved", by=marketer)
    with pytest.raises(ValidationError, match="say what should change"):
        asset_review(asset=asset, decision="changes_requested", by=rep)
    asset_review(asset=asset, decision="changes_requested", comment="Add the payback in months", by=rep)
    asset.refresh_from_db()
    assert asset.status == "brief"
    asset = asset_update(asset=asset, fields={"body_html": "<p>Payback in 7 months</p>"}, by=marketer)
    asset = asset_transition(asset=asset, to_status="in_review", by=marketer)
    asset_review(asset=asset, decision="approved", by=rep)
    asset = asset_transition(asset=asset, to_status="published", by=marketer, now=NOW)
    assert (asset.status, asset.version, asset.published_at) == ("published", 2, NOW)
    assert AuditEntry.objects.filter(action="content.asset_transition").count() == 4


@pytest.mark.django_db
def test_briefs_collect_sales_input_and_prospect_feedback(marketer, rep, head_of_sales, partner):
    idea = asset_create(title="Spreadsheet migration guide", asset_type="whitepaper", by=marketer)
    assert asset_shortlist_toggle(asset=idea, by=rep) is True
    assert asset_shortlist_toggle(asset=head_of_sales and idea, by=head_of_sales) is True
    assert asset_shortlist_toggle(asset=idea, by=rep) is False
    assert idea.shortlists.count() == 1
    with pytest.raises(ValidationError) as err:
        brief_save(asset=idea, goal="  ", by=marketer)
    assert "goal" in err.value.message_dict
    brief = brief_save(asset=idea, goal="Help analysts move off Excel", sales_questions="How long does it take?",
                       by=marketer)  # fmt: skip
    idea.refresh_from_db()
    assert idea.status == "brief"
    comment = brief_comment_add(brief=brief, body="Prospects always ask about macros", by=rep)
    assert comment.side == "sales"
    with pytest.raises(PermissionDenied):
        brief_comment_add(brief=brief, body="hi", by=partner)
    asset = published_asset(marketer, rep)
    feedback = prospect_feedback_add(asset=asset, outcome="helped", note="CFO forwarded it", by=rep)
    assert feedback.get_outcome_display() == "Helped move the deal"
    with pytest.raises(ValidationError, match="published assets"):
        prospect_feedback_add(asset=idea, outcome="helped", by=rep)
