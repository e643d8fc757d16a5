"""Tracked sharing: a personalised copy for a deal, opened by the prospect without a login; the
opening lands on the contact's timeline, the rep is told, time spent is counted."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from closedloop.content.models import LinkView
from closedloop.content.services import asset_create, shared_link_beacon, shared_link_create, shared_link_open
from closedloop.content.share_urls import share_token
from closedloop.content.tests.conftest import NOW, published_asset
from closedloop.notifications.models import Notification
from closedloop.tracking.models import Event
from tests.factories import ContactFactory, DealFactory


@pytest.fixture
def deal(db):
    contact = ContactFactory(
        email="ana@harbor.example", first_name="Ana", last_name="Silva", lifecycle_stage="opportunity"
    )
    return DealFactory(name="Harbor rollout", contact=contact, stage="proposal")


@pytest.mark.django_db(transaction=True)
def test_open_is_recorded_on_the_contact_and_the_rep_is_told(marketer, rep, deal):
    asset = published_asset(marketer, rep, body="<p>Generic body</p>")
    link = shared_link_create(asset=asset, deal=deal, by=rep, intro="Ana, page 2 is your case",
                              body_html="<p>For Harbor <script>x</script></p>", now=NOW)  # fmt: skip
    assert (link.contact, link.contact_stage, link.body_html) == (
        deal.contact,
        "opportunity",
        "<p>For Harbor </p>",
    )
    token = share_token(link.public_id)
    assert shared_link_open(token=token + "x") is None  # a tampered link opens nothing
    opened = shared_link_open(token=token, user_agent="Mozilla", now=NOW + timedelta(hours=1))
    assert opened is not None
    link, view = opened
    assert (link.open_count, link.first_opened_at) == (1, NOW + timedelta(hours=1))
    event = Event.objects.get(contact=deal.contact)
    assert (event.type, event.properties["deal"], event.properties["asset"]) == (
        "content_download",
        deal.pk,
        asset.pk,
    )
    note = Notification.objects.get(recipient=rep)
    assert (
        note.title == "Ana Silva opened Case study: Harborline" and note.link == f"/content/shares/{link.pk}/"
    )
    assert len(mail.outbox) == 1 and "opened" in mail.outbox[0].subject
    shared_link_beacon(
        token=token, view_key=view.view_key, seconds=40, now=NOW + timedelta(hours=1, seconds=45)
    )
    shared_link_beacon(
        token=token, view_key=view.view_key, seconds=30, now=NOW + timedelta(hours=1, seconds=50)
    )
    # A beacon claiming more time than has passed is capped at the elapsed time (+5 s of grace).
    shared_link_beacon(
        token=token, view_key=view.view_key, seconds=9999, now=NOW + timedelta(hours=1, seconds=60)
    )
    link.refresh_from_db()
    assert link.seconds_viewed == 65 and LinkView.objects.get().seconds == 65
    event.refresh_from_db()
    assert event.properties["seconds"] == 65
    shared_link_open(token=token, now=NOW + timedelta(hours=2))
    assert (
        Notification.objects.filter(recipient=rep).count() == 2 and len(mail.outbox) == 1
    )  # second open: inbox only


@pytest.mark.django_db
def test_only_published_content_is_shared_and_a_target_is_required(marketer, rep, deal):
    draft = asset_create(title="Draft", asset_type="one_pager", by=marketer)
    with pytest.raises(ValidationError, match="only published content is shared"):
        shared_link_create(asset=draft, deal=deal, by=rep)
    asset = published_asset(marketer, rep)
    with pytest.raises(ValidationError) as err:
        shared_link_create(asset=asset, by=rep)
    assert "contact" in err.value.message_dict
    other = ContactFactory()
    with pytest.raises(ValidationError, match="belongs to another contact"):
        shared_link_create(asset=asset, deal=deal, contact=other, by=rep)
