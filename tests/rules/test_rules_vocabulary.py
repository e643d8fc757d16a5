"""The vocabulary: every field has a type and a meaning; aliases and event windows resolve."""

from __future__ import annotations

import pytest

from closedloop.rules import EVENT_TYPES, FIELDS, FieldSpec, event_field_name, field_spec


def test_static_fields_are_typed_and_described() -> None:
    assert set(FIELDS) == {
        "persona",
        "title",
        "country",
        "lifecycle_stage",
        "lead_score",
        "email_domain",
        "created_days_ago",
        "company_size",
        "industry",
        "annual_revenue",
        "campaign",
        "channel",
    }
    for name, spec in FIELDS.items():
        assert spec.name == name
        assert spec.type in {"int", "float", "string", "bool", "list"}
        assert spec.description.endswith(".")
        assert spec.group in {"contact", "account", "first touch"}
    assert FIELDS["company_size"].type == "int"
    assert FIELDS["annual_revenue"].type == "float"
    assert FIELDS["persona"].type == "string"


def test_event_types_are_the_agreed_ones() -> None:
    assert set(EVENT_TYPES) == {
        "ad_click",
        "page_view",
        "call",
        "form_submit",
        "email_open",
        "email_click",
        "content_download",
        "webinar_attended",
        "meeting_booked",
    }


@pytest.mark.parametrize(
    ("name", "canonical", "event", "window"),
    [
        ("content_download_30d", "content_download_30d", "content_download", 30),
        ("downloads_30d", "content_download_30d", "content_download", 30),
        ("downloads_total", "content_download_total", "content_download", 0),
        ("page_view_1d", "page_view_1d", "page_view", 1),
        ("meeting_booked_365d", "meeting_booked_365d", "meeting_booked", 365),
        ("ad_click_total", "ad_click_total", "ad_click", 0),
    ],
)
def test_event_fields(name: str, canonical: str, event: str, window: int) -> None:
    spec = field_spec(name)
    assert spec is not None
    assert (spec.name, spec.type, spec.event, spec.window_days, spec.default) == (
        canonical,
        "int",
        event,
        window,
        0,
    )
    assert event_field_name(event, window) == canonical


def test_event_field_descriptions() -> None:
    assert field_spec("downloads_30d") == FieldSpec(
        "content_download_30d",
        "int",
        "Number of content downloads in the last 30 days.",
        label="content download 30d",
        group="events",
        event="content_download",
        window_days=30,
        default=0,
    )
    spec = field_spec("call_total")
    assert spec is not None and spec.description == "Number of calls ever."


def test_aliases() -> None:
    assert field_spec("score") is FIELDS["lead_score"]
    assert field_spec("persona") is FIELDS["persona"]


@pytest.mark.parametrize(
    "name",
    [
        "downloads_0d",
        "downloads_366d",
        "downloads_030d",
        "downloads_30",
        "download_30d",
        "pricing_views_7d",
        "nope",
        "",
    ],
)
def test_unknown_names(name: str) -> None:
    assert field_spec(name) is None
