"""The contacts list and the contact page."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from closedloop.crm.models import Activity, StageTransition
from closedloop.tracking.models import Channel, EventType
from tests.factories import (
    AccountFactory,
    CampaignFactory,
    ContactFactory,
    DealFactory,
    EventFactory,
    UserFactory,
)

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def names(html):
    return re.findall(r'<td><a href="/contacts/\d+/">(.*?)</a></td>', html)


@pytest.fixture
def people(db):
    acme = AccountFactory(name="Acme Corp")
    ppc = CampaignFactory(name="Brand search", channel=Channel.PPC)
    mail = CampaignFactory(name="Newsletter", channel=Channel.EMAIL)
    ContactFactory(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.test",
        account=acme,
        lifecycle_stage="mql",
        source_campaign=ppc,
    )
    ContactFactory(
        first_name="Grace",
        last_name="Hopper",
        email="grace@navy.test",
        lifecycle_stage="sql",
        source_campaign=mail,
    )
    ContactFactory(
        first_name="Alan",
        last_name="Turing",
        email="alan@bletchley.test",
        account=acme,
        lifecycle_stage="customer",
        source_campaign=mail,
    )
    return {"acme": acme, "ppc": ppc, "mail": mail}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("lovelace", {"Ada Lovelace"}),  # last name, any case
        ("GRACE@", {"Grace Hopper"}),  # email
        ("acme", {"Ada Lovelace", "Alan Turing"}),  # company
        ("ada lovelace", {"Ada Lovelace"}),  # full name: every word must match
        ("alan acme", {"Alan Turing"}),  # name and company together
        ("nobody", set()),
    ],
)
def test_search(marketer_client, people, q, expected):
    html = marketer_client.get("/contacts/", {"q": q}).content.decode()
    assert set(names(html)) == expected


def test_filters_by_stage_channel_and_campaign(marketer_client, people):
    assert names(marketer_client.get("/contacts/", {"stage": "sql"}).content.decode()) == ["Grace Hopper"]
    assert set(names(marketer_client.get("/contacts/", {"channel": "email"}).content.decode())) == {
        "Grace Hopper",
        "Alan Turing",
    }
    html = marketer_client.get("/contacts/", {"campaign": people["ppc"].pk}).content.decode()
    assert names(html) == ["Ada Lovelace"]


def test_list_columns(marketer_client, people):
    html = marketer_client.get("/contacts/", {"q": "ada"}).content.decode()
    for text in ["ada@acme.test", "Acme Corp", "MQL", "Brand search", "1 Jun 2026"]:
        assert text in html


def test_pagination_keeps_filters(marketer_client, db):
    campaign = CampaignFactory(channel=Channel.SOCIAL)
    for i in range(120):
        ContactFactory(
            first_name="Page",
            last_name=f"Person{i:03d}",
            source_campaign=campaign,
            created_at=T0 + timedelta(minutes=i),
        )
    ContactFactory(first_name="Other", last_name="Person")

    first = marketer_client.get("/contacts/", {"q": "page", "channel": "social"}).content.decode()
    assert "120 contacts" in first
    assert len(names(first)) == 50
    # Newest first.
    assert names(first)[0] == "Page Person119"
    assert 'href="?q=page&amp;channel=social&amp;page=2"' in first

    third = marketer_client.get("/contacts/", {"q": "page", "channel": "social", "page": 3}).content.decode()
    assert len(names(third)) == 20
    assert names(third)[-1] == "Page Person000"
    # Out-of-range page numbers show the last page rather than an error.
    assert marketer_client.get("/contacts/", {"q": "page", "page": 99}).status_code == 200


def test_htmx_search_returns_only_the_results(marketer_client, people):
    response = marketer_client.get(
        "/contacts/", {"q": "grace"}, headers={"HX-Request": "true", "HX-Target": "contact-results"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="contact-results"')
    assert names(html) == ["Grace Hopper"]


def test_contact_list_query_count(marketer_client, db, django_assert_max_num_queries):
    owners = [UserFactory() for _ in range(3)]
    campaigns = [CampaignFactory() for _ in range(3)]
    for i in range(60):
        ContactFactory(owner=owners[i % 3], source_campaign=campaigns[i % 3], account=AccountFactory())
    # session + user + campaign choices + count + page: owners, accounts and campaigns are joined.
    with django_assert_max_num_queries(6):
        response = marketer_client.get("/contacts/")
    assert response.status_code == 200


@pytest.fixture
def ada(db):
    rep = UserFactory(first_name="Rita", last_name="Rep")
    campaign = CampaignFactory(name="Brand search")
    contact = ContactFactory(
        first_name="Ada",
        last_name="Lovelace",
        title="Head of Ops",
        account=AccountFactory(name="Acme Corp"),
        owner=rep,
        lifecycle_stage="sql",
        lead_score=72,
        persona="ops_manager",
        source_campaign=campaign,
    )
    EventFactory(
        contact=contact,
        type=EventType.AD_CLICK,
        ts=T0,
        campaign=campaign,
        url="https://example.test/lp?utm_campaign=brand",
    )
    EventFactory(
        contact=contact,
        type=EventType.CONTENT_DOWNLOAD,
        ts=T0 + timedelta(days=2),
        url="https://example.test/ebook",
        properties={"asset": "ops-ebook"},
    )
    EventFactory(
        contact=contact, type=EventType.FORM_SUBMIT, ts=T0 + timedelta(days=5), properties={"form": "demo"}
    )
    StageTransition.objects.create(contact=contact, from_stage="", to_stage="visitor", at=T0, cause="api")
    StageTransition.objects.create(
        contact=contact,
        from_stage="visitor",
        to_stage="mql",
        at=T0 + timedelta(days=2),
        cause="rule",
        detail="downloads >= 1",
    )
    StageTransition.objects.create(
        contact=contact, from_stage="mql", to_stage="sql", at=T0 + timedelta(days=5), cause="manual", by=rep
    )
    DealFactory(name="Acme rollout", contact=contact, owner=rep, amount=12500, stage="proposal")
    Activity.objects.create(
        kind="call", subject="Discovery call", contact=contact, user=rep, at=T0 + timedelta(days=6)
    )
    return contact


def test_contact_page_header(marketer_client, ada):
    html = marketer_client.get(f"/contacts/{ada.pk}/").content.decode()
    for text in [
        "Ada Lovelace",
        "Head of Ops",
        "Acme Corp",
        "SQL",
        "Rita Rep",
        "72",
        "ops_manager",
        "Brand search",
    ]:
        assert text in html


def test_contact_page_timeline_newest_first(marketer_client, ada):
    html = marketer_client.get(f"/contacts/{ada.pk}/").content.decode()
    timeline = html.split('id="timeline"')[1].split('id="stage-history"')[0]
    order = [timeline.index(t) for t in ["Form submitted", "Content downloaded", "Ad click"]]
    assert order == sorted(order)
    assert "3 events" in timeline
    assert "asset: ops-ebook" in timeline
    assert "https://example.test/ebook" in timeline
    assert "Brand search" in timeline


def test_contact_page_stage_history_deals_and_activities(marketer_client, ada):
    html = marketer_client.get(f"/contacts/{ada.pk}/").content.decode()
    history = html.split('id="stage-history"')[1].split('id="deals"')[0]
    assert history.count("<li>") == 3
    assert "downloads &gt;= 1" in history and "Agreement rule" in history and "by Rita Rep" in history
    assert history.index("Visitor") < history.index("MQL") < history.index("SQL")
    assert "Acme rollout" in html and "12,500.00" in html and "Proposal" in html
    assert "Discovery call" in html


def test_unknown_contact_is_404(marketer_client, db):
    assert marketer_client.get("/contacts/999999/").status_code == 404


def test_long_timeline_is_capped_with_show_more(marketer_client, db):
    contact = ContactFactory()
    for i in range(205):
        EventFactory(contact=contact, ts=T0 + timedelta(minutes=i), url=f"https://example.test/p{i}")
    html = marketer_client.get(f"/contacts/{contact.pk}/").content.decode()
    assert html.count('class="tl-item') == 200
    assert "/p204" in html and '/p4"' not in html
    assert 'hx-get="?events=2"' in html

    more = marketer_client.get(
        f"/contacts/{contact.pk}/", {"events": 2}, headers={"HX-Request": "true"}
    ).content.decode()
    assert more.count('class="tl-item') == 5
    assert "<html" not in more and "hx-get" not in more


def test_contact_page_query_count(marketer_client, ada, django_assert_max_num_queries):
    for i in range(40):
        EventFactory(contact=ada, ts=T0 + timedelta(hours=i), campaign=CampaignFactory())
    # session, user, contact, event count, events, history, deals, activities
    # Header, timeline, history, deals, activities, SLA clocks, score explanation: a fixed number.
    with django_assert_max_num_queries(11):
        response = marketer_client.get(f"/contacts/{ada.pk}/")
    assert response.status_code == 200
