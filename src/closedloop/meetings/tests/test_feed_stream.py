"""The live feed's server-sent events over real HTTP: uvicorn serves the ASGI application on a free
port in this process, and a plain HTTP client reads the stream while items are posted."""

import http.client
import json
import socket
import threading
import time

import pytest
import uvicorn
from django.test import Client

from closedloop.meetings.models import FeedItem
from closedloop.meetings.services.feed import feed_post
from tests.factories import CampaignFactory


@pytest.fixture
def server():
    from django.db import connections

    from closedloop.config.asgi import application

    # Persistent connections would outlive the test in the server's threads and keep the test
    # database busy; close each at the end of its request instead.
    db = connections["default"].settings_dict
    max_age, db["CONN_MAX_AGE"] = db.get("CONN_MAX_AGE", 0), 0

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                            timeout_graceful_shutdown=1)  # fmt: skip
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port
    srv.should_exit = True
    thread.join(timeout=5)
    db["CONN_MAX_AGE"] = max_age


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


class Stream:
    def __init__(self, port: int, user, last_event_id: int | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": session_cookie(user), "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/meetings/feed/stream/", headers=headers)
        self.response = self.conn.getresponse()

    def next_event(self, within: float = 30.0) -> dict:
        """The next `event: feed` block, as {"id": ..., "data": {...}}."""
        block: dict = {}
        deadline = time.monotonic() + within
        while True:
            raw = self.response.fp.readline()
            assert raw, "the server ended the stream"
            assert time.monotonic() < deadline, "no event in time"
            line = raw.decode().rstrip("\n")
            if line.startswith("id: "):
                block["id"] = int(line[4:])
            elif line.startswith("data: "):
                block["data"] = json.loads(line[6:])
            elif line == "" and "data" in block:
                return block

    def close(self) -> None:
        self.conn.close()


@pytest.mark.django_db(transaction=True)
def test_a_posted_item_appears_on_the_open_stream_and_a_reconnect_resumes(server, tom, alex):
    first = feed_post(kind="rep_feedback", title="The ROI calculator won me the call", by=alex)
    stream = Stream(server, tom, last_event_id=0)
    try:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        event = stream.next_event()
        assert (event["id"], event["data"]["title"]) == (first.pk, "The ROI calculator won me the call")
        second = feed_post(kind="customer_feedback", title="Churned: onboarding took too long", by=tom)
        event = stream.next_event()  # arrives within a poll interval, no reload
        assert (event["id"], event["data"]["kind"], event["data"]["author"]) == (
            second.pk,
            "customer_feedback",
            "Tom",
        )
    finally:
        stream.close()
    resumed = Stream(server, tom, last_event_id=first.pk)
    try:
        assert resumed.next_event()["id"] == second.pk  # nothing seen twice, nothing missed
    finally:
        resumed.close()


@pytest.mark.django_db(transaction=True)
def test_partners_stream_only_items_about_their_campaigns(server, tom, jamie, agency):
    stream = Stream(server, jamie, last_event_id=0)
    try:
        feed_post(kind="rep_feedback", title="Internal only", by=tom)
        ours = feed_post(
            kind="campaign_result",
            title="PPC brought 12 SQLs",
            campaign=CampaignFactory(partner_team=agency),
            by=tom,
        )
        assert stream.next_event()["id"] == ours.pk
    finally:
        stream.close()
    assert FeedItem.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_anonymous_visitors_get_no_stream(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=60)
    conn.request("GET", "/meetings/feed/stream/")
    response = conn.getresponse()
    assert (response.status, response.getheader("Location").split("?")[0]) == (302, "/accounts/login/")
    conn.close()
