"""Cell values: dates with time zones, amounts, emails and stages."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from closedloop.imports import values

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-31", datetime(2024, 3, 31, tzinfo=BERLIN)),
        ("2024-03-31 14:05", datetime(2024, 3, 31, 14, 5, tzinfo=BERLIN)),
        ("2024-03-31T14:05:09Z", datetime(2024, 3, 31, 14, 5, 9, tzinfo=UTC)),
        ("2024-03-31 14:05:00+02:00", datetime(2024, 3, 31, 12, 5, tzinfo=UTC)),
        ("03/31/2024", datetime(2024, 3, 31, tzinfo=BERLIN)),
        ("3/1/2024 2:05 PM", datetime(2024, 3, 1, 14, 5, tzinfo=BERLIN)),
        ("12/31/24", datetime(2024, 12, 31, tzinfo=BERLIN)),
        ("31.03.2024", datetime(2024, 3, 31, tzinfo=BERLIN)),
        ("2024/03/31", datetime(2024, 3, 31, tzinfo=BERLIN)),
        ("Mar 31, 2024", datetime(2024, 3, 31, tzinfo=BERLIN)),
        ("31 March 2024", datetime(2024, 3, 31, tzinfo=BERLIN)),
    ],
)
def test_dates_in_common_formats_naive_ones_in_the_configured_zone(text, expected):
    parsed = values.parse_datetime(text, False, "Europe/Berlin")
    assert parsed == expected
    assert parsed.utcoffset() is not None


def test_naive_time_is_local_to_time_zone_setting_including_dst():
    # 31 March 2024 is after the switch to summer time in Berlin: 14:05 local is 12:05 UTC.
    parsed = values.parse_datetime("2024-03-31 14:05", False, "Europe/Berlin")
    assert parsed.astimezone(UTC) == datetime(2024, 3, 31, 12, 5, tzinfo=UTC)
    assert values.parse_datetime("2024-01-15 09:00", False, "America/New_York").astimezone(UTC).hour == 14


def test_explicit_offset_wins_over_the_setting():
    parsed = values.parse_datetime("2024-03-01 10:00 -05:00", False, "Europe/Berlin")
    assert parsed.utcoffset() == timedelta(hours=-5)
    assert parsed.tzinfo == timezone(timedelta(hours=-5))


def test_slashed_dates_are_month_first_unless_day_first():
    assert values.parse_datetime("03/04/2024", False, "UTC").month == 3
    assert values.parse_datetime("03/04/2024", True, "UTC").month == 4
    assert values.parse_datetime("31/03/2024", True, "UTC").day == 31


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("31/03/2024", "looks day-first"),
        ("2024-02-30", "is not a valid date"),
        ("02/30/2024", "is not a valid date"),
        ("yesterday", "is not a date"),
        ("13:00", "is not a date"),
    ],
)
def test_bad_dates_say_why(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        values.parse_datetime(text, False, "UTC")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", "1234.50"),
        ("1,234.50", "1234.50"),
        ("$1,200", "1200.00"),
        ("USD 99", "99.00"),
        ("1.234,50 €", "1234.50"),
        ("€ 12,5", "12.50"),
        ("1 234 567", "1234567.00"),
        ("(120.00)", "-120.00"),
        ("-7", "-7.00"),
    ],
)
def test_amounts(text, expected):
    assert values.parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["12a", "1.2.3", "$", "ten", "1,2,3,4"])
def test_bad_amounts(text):
    with pytest.raises(ValueError, match="is not an amount"):
        values.parse_amount(text)


def test_emails_are_lower_cased_and_validated():
    assert values.parse_email(" Ann@Example.COM ") == "ann@example.com"
    assert values.parse_email("mailto:bob@example.org") == "bob@example.org"
    for bad in ["ann@", "ann", "a b@example.com", "ann@@example.com", "ann@example"]:
        with pytest.raises(ValueError, match="is not a valid email address"):
            values.parse_email(bad)


def test_fast_email_path_agrees_with_django_validator():
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    samples = [
        "a@b.co",
        "first.last+tag@sub.example.org",
        "o'brien@example.ie",
        "x@xn--bcher-kva.example",
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "a@example.c",
        "a@exa_mple.com",
    ]
    for email in samples:
        try:
            validate_email(email)
            django_ok = True
        except ValidationError:
            django_ok = False
        try:
            values.parse_email(email)
            ours_ok = True
        except ValueError:
            ours_ok = False
        assert ours_ok == django_ok, email


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("Lead", "iql"),
        ("Marketing Qualified Lead", "mql"),
        ("salesqualifiedlead", "sql"),
        ("Customer", "customer"),
        ("Subscriber", "visitor"),
        ("Evangelist", "customer"),
        ("MQL", "mql"),
    ],
)
def test_hubspot_lifecycle_stages(text, stage):
    assert values.parse_lifecycle_stage(text) == stage


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("Closed Won", "won"),
        ("Closed Lost", "lost"),
        ("Won", "won"),
        ("Prospecting", "prospecting"),
        ("Needs Analysis", "engaging"),
        ("Proposal/Price Quote", "proposal"),
        ("Negotiation/Review", "proposal"),
        ("closedwon", "won"),
        ("Engaging", "engaging"),
    ],
)
def test_salesforce_and_hubspot_deal_stages(text, stage):
    assert values.parse_deal_stage(text) == stage


def test_unknown_stages_are_errors():
    with pytest.raises(ValueError, match="not a lifecycle stage"):
        values.parse_lifecycle_stage("Hot")
    with pytest.raises(ValueError, match="not a deal stage"):
        values.parse_deal_stage("Maybe later")
