"""Pages: every page renders for the roles that may see it and refuses those that may not; the
forms go through the services."""

import json
from datetime import date

import pytest
from django.core import mail

from closedloop.content.models import CalendarEntry, ContentAsset, SearchQuery, SharedLink
from closedloop.content.tests.conftest import published_asset
from tests.factories import ContactFactory, DealFactory


@pytest.mark.django_db
def test_internal_pages_render_and_partners_are_refused(client, marketer, rep, partner, ops_persona):
    asset = published_asset(marketer, rep, tags={"persona": ["ops_manager"]})
    client.force_login(rep)
    for url in ["/content/", "/content/?q=harborline", f"/content/assets/{asset.pk}/", "/content/personas/",
                "/content/personas/ops_manager/", "/content/personas/suggestions/", "/content/calendar/",
                "/content/calendar/?view=list", "/content/reports/", "/content/shares/", "/content/assets/new/",
                f"/content/assets/{asset.pk}/share/", f"/content/assets/{asset.pk}/edit/"]:  # fmt: skip
        assert client.get(url).status_code == 200, url
    client.force_login(partner)
    assert client.get("/content/").status_code == 200  # partners read published content
    assert client.get(f"/content/assets/{asset.pk}/").status_code == 200
    for url in ["/content/personas/", "/content/calendar/", "/content/reports/", "/content/assets/new/",
                f"/content/assets/{asset.pk}/share/"]:  # fmt: skip
        assert client.get(url).status_code == 403, url
    draft = ContentAsset.objects.create(title="Secret draft", asset_type="blog_post", created_at=asset.created_at,
                                        updated_at=asset.updated_at)  # fmt: skip
    assert client.get(f"/content/assets/{draft.pk}/").status_code == 403
    assert "Secret draft" not in client.get("/content/").content.decode()


@pytest.mark.django_db
def test_create_asset_form_reports_errors_and_keeps_nothing(client, marketer):
    client.force_login(marketer)
    response = client.post("/content/assets/new/", {"title": "", "asset_type": "case_study"})
    assert response.status_code == 422 and "title: give the asset a title" in response.content.decode()
    response = client.post("/content/assets/new/", {"title": "OEE guide", "asset_type": "blog_post",
                                                     "body_html": "<p>Hi</p>", "tag_stage": ["iql"]})  # fmt: skip
    asset = ContentAsset.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/content/assets/{asset.pk}/"
    assert [t.value for t in asset.tags.all()] == ["iql"]


@pytest.mark.django_db(transaction=True)
def test_share_page_is_public_and_records_the_open(client, marketer, rep):
    asset = published_asset(marketer, rep)
    deal = DealFactory(
        name="Harbor", contact=ContactFactory(email="ana@x.example", first_name="Ana", last_name="Silva")
    )
    client.force_login(rep)
    response = client.post(f"/content/assets/{asset.pk}/share/", {"deal": deal.pk, "intro": "Hi Ana",
                                                                   "body_html": "<p>Your copy</p>"})  # fmt: skip
    link = SharedLink.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/content/shares/{link.pk}/"
    url_input = client.get(f"/content/shares/{link.pk}/").content.decode()
    path = url_input.split('id="share-url" value="http://testserver')[1].split('"')[0]
    client.logout()
    page = client.get(path)
    assert (
        page.status_code == 200 and "Your copy" in page.content.decode() and "Hi Ana" in page.content.decode()
    )
    assert page["Cache-Control"] == "private, no-store"
    view_key = page.content.decode().split('data-view="')[1].split('"')[0]
    assert client.post(f"{path}/beacon", data=json.dumps({"view": view_key, "seconds": 0}),
                       content_type="text/plain").status_code == 204  # fmt: skip
    assert client.post(f"{path}/beacon", data="nonsense", content_type="text/plain").status_code == 422
    assert client.get(path[:-3] + "abc").status_code == 404
    # A chat app unfurling the link shows the page but is not the prospect opening it.
    assert client.get(path, headers={"User-Agent": "Slackbot-LinkExpanding 1.0"}).status_code == 200
    link.refresh_from_db()
    assert link.open_count == 1 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_calendar_month_list_and_ical_feed(client, marketer, rep):
    client.force_login(marketer)
    response = client.post("/content/calendar/add/", {"title": "OEE blog post", "channel": "organic",
                                                      "publish_on": "2026-07-14"})  # fmt: skip
    assert response.status_code == 302
    client.post("/content/calendar/add/", {"title": "Webinar invite", "channel": "email", "publish_on": "2026-07-20",
                                           "owner": rep.pk})  # fmt: skip
    assert (
        client.post(
            "/content/calendar/add/", {"title": "x", "channel": "fax", "publish_on": "2026-07-20"}
        ).status_code
        == 302
    )
    assert CalendarEntry.objects.count() == 2
    html = client.get("/content/calendar/?month=2026-07").content.decode()
    assert "OEE blog post" in html and "Webinar invite" in html
    html = client.get(f"/content/calendar/?month=2026-07&view=list&owner={rep.pk}").content.decode()
    assert "Webinar invite" in html and "OEE blog post" not in html
    client.post("/content/calendar/feed/")
    page = client.get("/content/calendar/").content.decode()
    feed = page.split('id="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert "/api/v1/content/calendar/" in feed
    client.logout()
    ics = client.get(feed.replace("http://testserver", ""))
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    from icalendar import Calendar

    events = sorted(Calendar.from_ical(ics.content).walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert [(str(e["summary"]), e.decoded("dtstart")) for e in events] == [
        ("[Organic search] OEE blog post", date(2026, 7, 14)), ("[Email] Webinar invite", date(2026, 7, 20)),
    ]  # fmt: skip
    assert client.get("/api/v1/content/calendar/not-a-token.ics").status_code == 404


@pytest.mark.django_db
def test_reports_show_unused_content_and_search_gaps(client, marketer, rep):
    published_asset(marketer, rep, title="Lonely whitepaper")
    client.force_login(rep)
    client.get("/content/?q=reseller+partner+program")
    assert SearchQuery.objects.get().result_count == 0
    client.force_login(marketer)
    html = client.get("/content/reports/").content.decode()
    assert "Lonely whitepaper" in html and "reseller partner program" in html
