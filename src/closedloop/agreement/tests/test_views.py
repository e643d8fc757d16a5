"""The agreement pages: the SLA document for everyone, versions, the editor, signing, the diff."""

import re

import pytest

from closedloop.agreement import services
from closedloop.agreement.models import AgreementVersion, Status
from closedloop.audit.models import AuditEntry


def html_of(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.status_code
    return response.content.decode()


@pytest.mark.parametrize("reader", ["alex", "jamie"])
def test_sla_document_shows_definitions_terms_and_signatures(request, client, active, reader):
    client.force_login(request.getfixturevalue(reader))
    html = html_of(client, "/agreement/")
    assert "Version 1 · Active" in html
    for section in ("Purpose", "Roles and responsibilities", "Funnel stages and definitions",
                    "Service-level terms", "Buyer personas", "Lead qualifiers", "Signatures"):  # fmt: skip
        assert section in html, section
    # Each stage with its rule, its rule in words and the plain-language explanation.
    assert "form_submit_total &gt;= 1 || downloads_total &gt;= 1" in html
    assert "In words:" in html
    assert "gave us their contact details in exchange" in html
    assert "<strong>Information-qualified lead.</strong>" in html
    assert "Sales makes first contact with every SQL within 4 business hours." in html
    assert "4 business hours" in html and "300 leads" in html
    assert "Olivia, the operations manager" in html
    # Both signatures with names and dates.
    signed = active.signatures.get(side="sales").signed_at
    assert "Maya Lindqvist" in html and "Sam Rivera" in html
    assert f'datetime="{signed.isoformat()}"' in html or signed.strftime("%-d %b %Y") in html


def test_partner_reads_the_document_but_not_the_versions(client, active, jamie):
    client.force_login(jamie)
    html = html_of(client, "/agreement/")
    assert 'href="/agreement/versions/"' not in html
    assert 'href="/agreement/"' in html  # the nav link
    assert client.get("/agreement/versions/").status_code == 403
    assert client.get(f"/agreement/versions/{active.number}/").status_code == 403


def test_document_page_without_an_active_agreement(client, draft, alex):
    client.force_login(alex)
    html = html_of(client, "/agreement/")
    assert "No agreement is active yet" in html


def test_anonymous_users_are_sent_to_login(client, active):
    response = client.get("/agreement/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_user_written_script_is_sanitised_on_the_page(client, draft, maya, alex):
    services.agreement_draft_update(
        version=draft,
        by=maya,
        purpose="Hello <script>alert('pwned')</script>**team**",
        stage_definitions=[
            {"stage": "mql", "explanation": "Fit <script>document.cookie</script> and *engaged*"}
        ],
    )
    client.force_login(alex)
    html = html_of(client, f"/agreement/versions/{draft.number}/")
    assert "alert(" not in html and "document.cookie" not in html
    assert "Hello <strong>team</strong>" in html
    assert "Fit  and <em>engaged</em>" in html or "Fit and <em>engaged</em>" in html
    for chunk in html.split("<script")[1:]:
        tag = chunk.split(">", 1)[0]
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_versions_list_shows_status_and_signers(client, active, maya, alex):
    services.agreement_draft_create(by=maya)
    client.force_login(alex)
    html = html_of(client, "/agreement/versions/")
    assert 'data-version="2"' in html and 'data-version="1"' in html
    assert "Draft" in html and "Active" in html
    assert "Maya Lindqvist" in html and "Sam Rivera" in html
    assert "New draft" not in html  # a sales rep does not edit the agreement


def test_editor_creates_edits_and_proposes_a_draft(client, maya):
    client.force_login(maya)
    response = client.post("/agreement/versions/new")
    assert response.status_code == 302 and response["Location"] == "/agreement/versions/1/"
    html = html_of(client, "/agreement/versions/1/")
    assert 'id="agreement-editor"' in html and 'hx-post="/agreement/validate-rule"' in html
    version = AgreementVersion.objects.get(number=1)
    data = editor_post_data(version)
    data["defs-2-rule"] = "lead_score >= 65"
    data["defs-2-explanation"] = "Scored **65** or more."
    response = client.post("/agreement/versions/1/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert version.stage_definitions.get(stage="mql").rule == "lead_score >= 65"
    response = client.post("/agreement/versions/1/propose")
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == Status.PROPOSED
    html = html_of(client, "/agreement/versions/1/")
    assert 'data-sign="marketing"' in html and 'data-sign="sales"' not in html


def test_editor_shows_errors_and_keeps_what_was_typed(client, draft, maya):
    client.force_login(maya)
    data = editor_post_data(draft)
    data["v-stage_order"] = "visitor, iql, mql"
    response = client.post(f"/agreement/versions/{draft.number}/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "sales_ready_stage" in html and "must be one of the stages" in html
    draft.refresh_from_db()
    assert "sql" in draft.stage_order


def test_propose_with_a_bad_rule_shows_stage_and_position(client, draft, maya):
    services.agreement_draft_update(
        version=draft, by=maya, stage_definitions=[{"stage": "sql", "rule": "lead_score >="}]
    )
    client.force_login(maya)
    html = html_of(client, f"/agreement/versions/{draft.number}/")
    assert "Before it can be proposed" in html and "SQL rule: line 1, column" in html
    response = client.post(f"/agreement/versions/{draft.number}/propose", follow=True)
    assert "SQL rule: line 1, column" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_sign_buttons_follow_the_role(client, proposed, maya, sam, tom, alex):
    url = f"/agreement/versions/{proposed.number}/"
    for user, expected in ((maya, ["marketing"]), (sam, ["sales"]), (tom, []), (alex, [])):
        client.force_login(user)
        assert re.findall(r'data-sign="(\w+)"', html_of(client, url)) == expected, user.username


def test_signing_through_the_page(client, proposed, maya, sam):
    client.force_login(maya)
    client.post(f"/agreement/versions/{proposed.number}/sign", {"side": "marketing"})
    client.force_login(sam)
    response = client.post(f"/agreement/versions/{proposed.number}/sign", {"side": "sales"}, follow=True)
    assert "now the active agreement" in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == Status.ACTIVE


def test_a_marketer_signing_through_the_page_gets_a_clear_refusal(client, proposed, tom):
    client.force_login(tom)
    response = client.post(f"/agreement/versions/{proposed.number}/sign", {"side": "sales"}, follow=True)
    assert "Only the head of sales may sign for sales; Tom Becker is a marketer." in response.content.decode()
    assert not proposed.signatures.exists()


def test_active_version_has_no_editor_and_a_sales_rep_can_not_post_edits(client, active, maya, alex):
    client.force_login(maya)
    html = html_of(client, f"/agreement/versions/{active.number}/")
    assert 'id="agreement-editor"' not in html and "New draft from v1" in html
    response = client.post(f"/agreement/versions/{active.number}/", editor_post_data(active), follow=True)
    assert "Make a new draft from it" in response.content.decode()
    client.force_login(alex)
    assert client.post(f"/agreement/versions/{active.number}/", {}).status_code == 403


def test_validate_rule_endpoint_returns_position_and_hint(client, maya):
    client.force_login(maya)
    response = client.post(
        "/agreement/validate-rule", {"defs-2-rule": "lead_score >= 60 &&"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Line 1, column" in html and 'class="rule-caret"' in html and "^" in html
    response = client.post("/agreement/validate-rule", {"source": "lead_score >= 60"})
    html = response.content.decode()
    assert "Valid" in html and "In words:" in html


def test_validate_rule_needs_an_editor(client, alex):
    client.force_login(alex)
    assert client.post("/agreement/validate-rule", {"source": "lead_score >= 1"}).status_code == 403


def test_diff_page_shows_removed_and_added_lines(client, active, maya, alex):
    draft = services.agreement_draft_create(by=maya)
    services.agreement_draft_update(
        version=draft, by=maya, stage_definitions=[{"stage": "mql", "rule": "lead_score >= 60"}]
    )
    client.force_login(alex)
    html = html_of(client, f"/agreement/versions/1/diff/{draft.number}/")
    assert 'id="diff-stage-mql"' in html
    assert '<div class="add">+ lead_score &gt;= 60</div>' in html
    assert '<div class="del">- (downloads_30d' in html
    assert 'id="diff-stage-sql"' not in html


def test_history_on_the_version_page(client, active, alex):
    client.force_login(alex)
    html = html_of(client, "/agreement/versions/1/")
    assert "Sam Rivera signed agreement v1 for sales" in html
    assert AuditEntry.objects.filter(action="agreement.activate").exists()


def test_unknown_version_is_404(client, alex, db):
    client.force_login(alex)
    assert client.get("/agreement/versions/42/").status_code == 404


def editor_post_data(version) -> dict:
    """The editor form as the browser would submit it, unchanged."""
    data = {
        "v-title": version.title,
        "v-purpose": version.purpose,
        "v-stage_order": ", ".join(version.stage_order),
        "v-sales_ready_stage": version.sales_ready_stage,
        "v-marketing_responsibilities": version.marketing_responsibilities,
        "v-sales_responsibilities": version.sales_responsibilities,
        "v-change_note": version.change_note,
    }
    defs = list(version.stage_definitions.all())
    data.update({"defs-TOTAL_FORMS": len(defs), "defs-INITIAL_FORMS": len(defs)})
    for i, d in enumerate(defs):
        data.update(
            {
                f"defs-{i}-stage": d.stage,
                f"defs-{i}-rule": d.rule,
                f"defs-{i}-explanation": d.explanation,
                f"defs-{i}-owner_team": d.owner_team,
            }
        )
    # Like the browser, send the empty "add one" rows of the SLA terms and personas too.
    terms = list(version.sla_terms.all())
    data.update({"sla-TOTAL_FORMS": len(terms) + 1, "sla-INITIAL_FORMS": len(terms)})
    n = len(terms)
    data.update(
        {
            f"sla-{n}-kind": "",
            f"sla-{n}-amount": "",
            f"sla-{n}-unit": "",
            f"sla-{n}-stage": "",
            f"sla-{n}-owner_team": "",
            f"sla-{n}-description": "",
        }
    )
    for i, t in enumerate(terms):
        data.update(
            {
                f"sla-{i}-kind": t.kind,
                f"sla-{i}-amount": t.amount,
                f"sla-{i}-unit": t.unit,
                f"sla-{i}-stage": t.stage,
                f"sla-{i}-owner_team": t.owner_team,
                f"sla-{i}-description": t.description,
            }
        )
    personas = list(version.personas.all())
    data.update({"persona-TOTAL_FORMS": len(personas) + 1, "persona-INITIAL_FORMS": len(personas)})
    n = len(personas)
    data.update({f"persona-{n}-key": "", f"persona-{n}-name": "", f"persona-{n}-description": ""})
    for i, p in enumerate(personas):
        data.update(
            {
                f"persona-{i}-key": p.key,
                f"persona-{i}-name": p.name,
                f"persona-{i}-description": p.description,
            }
        )
    return data


def test_editor_adds_and_removes_sla_terms(client, draft, maya):
    client.force_login(maya)
    data = editor_post_data(draft)
    n = draft.sla_terms.count()
    data.update({f"sla-{n}-kind": "follow_up_within", f"sla-{n}-amount": "3", f"sla-{n}-unit": "business_days",
                 f"sla-{n}-stage": "mql", f"sla-{n}-owner_team": "marketing", f"sla-{n}-description": "Nurture call"})  # fmt: skip
    data["sla-0-DELETE"] = "on"
    response = client.post(f"/agreement/versions/{draft.number}/", data)
    assert response.status_code == 302
    kinds = [t.kind for t in draft.sla_terms.all()]
    assert kinds[0] != "first_contact_within" and kinds[-1] == "follow_up_within" and len(kinds) == n


# session, user, then a fixed number per page however many stages, terms, personas and people.
QUERY_COUNTS = {
    "/agreement/": 8,
    "/agreement/versions/": 4,
    "/agreement/versions/1/": 15,
    "/agreement/versions/2/": 17,  # the draft editor lists the people who may qualify leads
    "/agreement/versions/1/diff/2/": 15,
}


@pytest.mark.parametrize("path", list(QUERY_COUNTS))
def test_pages_do_not_query_per_item(client, active, maya, tom, alex, path, django_assert_max_num_queries):
    draft = services.agreement_draft_create(by=maya)
    services.agreement_draft_update(version=draft, by=maya, qualifiers=[tom.pk, alex.pk])
    client.force_login(maya)
    with django_assert_max_num_queries(QUERY_COUNTS[path]):
        assert client.get(path).status_code == 200
