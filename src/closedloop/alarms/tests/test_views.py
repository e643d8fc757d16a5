"""The alarms page: open first, filters, evidence, acknowledge and review buttons, partner scope."""

import pytest
from django.test import Client

from closedloop.alarms.models import AlarmStatus
from closedloop.alarms.tests.builders import alarm_make, campaign_make
from closedloop.alarms.tests.conftest import NOW


@pytest.fixture
def alarms(agency):
    ours = campaign_make("PPC – Free trial", partner_team=agency)
    theirs = campaign_make("Other agency campaign")
    return {
        "trial": alarm_make(
            "campaign_conversion_gap", subject_key=f"campaign:{ours.pk}", campaign=ours, severity="critical",
            title="PPC – Free trial: clicks and calls but no MQLs",
            evidence={"clicks": 4223, "steps": [{"outcome": "mql", "observed": 0, "expected": 49.0,
                                                 "baseline_clicks": 8020}]},
        ),
        "page": alarm_make("landing_page_unreviewed", subject_key=f"campaign:{ours.pk}", campaign=ours),
        "theirs": alarm_make("landing_page_unreviewed", subject_key=f"campaign:{theirs.pk}", campaign=theirs),
        "owner": alarm_make(title="3 sales-ready leads without owner"),
        "old": alarm_make(subject_key="old", status=AlarmStatus.RESOLVED, title="An old one", resolved_at=NOW),
    }  # fmt: skip


def titles(response) -> list[str]:
    return [a.title for a in response.context["page"].object_list]


@pytest.mark.django_db
def test_internal_users_see_every_alarm_open_first_with_its_evidence(client, marketer, alarms):
    client.force_login(marketer)
    response = client.get("/alarms/")
    assert response.status_code == 200
    shown = titles(response)
    assert shown[0] == "PPC – Free trial: clicks and calls but no MQLs"  # open and critical first
    assert shown[-1] == "An old one"  # resolved last
    assert len(shown) == 5
    html = response.content.decode()
    assert "4,223" in html and "Expected" in html and "8,020" in html  # the evidence, readable
    assert ">Acknowledge<" in html
    assert "I have reviewed the landing page" not in html  # marketing may not say sales did
    assert 'hx-get="/alarms/badge/"' in html  # the navigation fetches the open count after loading


@pytest.mark.django_db
def test_the_navigation_badge_counts_the_open_alarms_a_user_may_see(client, marketer, partner, alarms):
    client.force_login(marketer)
    assert '<span class="chip" title="open alarms">4</span>' in client.get("/alarms/badge/").content.decode()
    client.force_login(partner)
    assert '<span class="chip" title="open alarms">2</span>' in client.get("/alarms/badge/").content.decode()
    for alarm in alarms.values():
        alarm.status = AlarmStatus.RESOLVED
        alarm.save()
    assert client.get("/alarms/badge/").content.decode().strip() == ""


@pytest.mark.django_db
def test_filters_by_status_and_kind(client, marketer, alarms):
    client.force_login(marketer)
    assert titles(client.get("/alarms/?status=resolved")) == ["An old one"]
    assert len(titles(client.get("/alarms/?status=active&kind=landing_page_unreviewed"))) == 2
    assert len(titles(client.get("/alarms/?status=bogus"))) == 5  # an unknown value filters nothing


@pytest.mark.django_db
def test_partners_see_only_the_alarms_of_their_campaigns(client, partner, other_partner, alarms):
    client.force_login(partner)
    response = client.get("/alarms/")
    assert {a.pk for a in response.context["page"].object_list} == {alarms["trial"].pk, alarms["page"].pk}
    html = response.content.decode()
    assert ">Acknowledge<" not in html
    assert "4,223" in html and "8,020" not in html  # other campaigns' volumes stay internal
    client.force_login(other_partner)
    assert titles(client.get("/alarms/")) == []


@pytest.mark.django_db
def test_acknowledge_is_a_post_with_csrf(rep, alarms):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rep)
    url = f"/alarms/{alarms['owner'].pk}/acknowledge/"
    assert browser.post(url).status_code == 403  # no CSRF token
    page = browser.get("/alarms/")
    token = page.cookies["csrftoken"].value
    assert browser.get(url).status_code == 405
    response = browser.post(url, {"csrfmiddlewaretoken": token, "next": "/alarms/?status=open"})
    assert (response.status_code, response["Location"]) == (302, "/alarms/?status=open")
    alarms["owner"].refresh_from_db()
    assert (alarms["owner"].status, alarms["owner"].acknowledged_by) == (AlarmStatus.ACKNOWLEDGED, rep)


@pytest.mark.django_db
def test_partners_may_not_acknowledge(client, partner, alarms):
    client.force_login(partner)
    assert client.post(f"/alarms/{alarms['trial'].pk}/acknowledge/").status_code == 403
    alarms["trial"].refresh_from_db()
    assert alarms["trial"].status == AlarmStatus.OPEN


@pytest.mark.django_db
def test_a_sales_rep_marks_the_landing_page_reviewed_from_the_alarm(client, rep, alarms):
    client.force_login(rep)
    assert "I have reviewed the landing page" in client.get("/alarms/").content.decode()
    page = alarms["page"].landing_page
    response = client.post(f"/alarms/landing-pages/{page.pk}/review/", {"next": "https://evil.example/"})
    assert (response.status_code, response["Location"]) == (302, "/alarms/")  # no open redirect
    page.refresh_from_db()
    alarms["page"].refresh_from_db()
    assert page.reviewed_by_sales_at is not None
    assert alarms["page"].status == AlarmStatus.RESOLVED


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/alarms/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
