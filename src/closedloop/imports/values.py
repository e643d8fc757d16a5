"""Turning CSV cell text into typed values: dates, amounts, integers, emails and stages. Each
parser takes a stripped, non-empty string and raises ValueError with a message fit for the user."""

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from closedloop.crm.lifecycle import Stage
from closedloop.crm.models import Deal
from closedloop.crm.names import normalize_email

_SLASHED = re.compile(
    r"^(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp][Mm])?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"
)
_NAMED_FORMATS = (
    "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y", "%d-%b-%y",
    "%b %d, %Y %I:%M %p", "%B %d, %Y %I:%M %p", "%d %b %Y %H:%M", "%d %B %Y %H:%M",
    "%a, %d %b %Y %H:%M:%S %z", "%a %b %d %H:%M:%S %Y",
)  # fmt: skip
DATE_EXAMPLES = "e.g. 2024-03-31, 2024-03-31 14:05, 03/31/2024, 31.03.2024 or Mar 31, 2024"


def _offset(text: str) -> tzinfo:
    if text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


@lru_cache(maxsize=65536)
def parse_datetime(value: str, day_first: bool, tz_name: str) -> datetime:
    """Dates and date-times in the usual export formats. Slashed dates are month-first (US, as
    HubSpot and Salesforce export them) unless day_first is set; a value that only makes sense
    day-first is an error, not a guess. Dotted dates (31.03.2024) are day-first. A value
    without a time zone is read in tz_name."""
    tz = ZoneInfo(tz_name)
    dt: datetime | None = None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        dt = None
    if dt is None:
        m = _SLASHED.match(value)
        if m:
            a, sep, b, c, hh, mm, ss, ampm, zone = m.groups()
            if len(a) == 4:
                year, month, day = int(a), int(b), int(c)
            elif len(c) in (2, 4):
                year = int(c) + (2000 if len(c) == 2 and int(c) < 70 else 1900 if len(c) == 2 else 0)
                first, second = int(a), int(b)
                if sep == "." or day_first:
                    day, month = first, second
                elif first > 12 and second <= 12:
                    # One reading for the whole file: guessing per row would mix 03/04 and 31/03.
                    raise ValueError(
                        f"{value!r} looks day-first; dates with slashes are read month-first "
                        "unless you choose 'dates are day-first' (--day-first)"
                    )
                else:
                    month, day = first, second
            else:
                raise ValueError(f"{value!r} is not a date ({DATE_EXAMPLES})")
            hour = int(hh or 0)
            if ampm:
                if not 1 <= hour <= 12:
                    raise ValueError(f"{value!r} is not a date ({DATE_EXAMPLES})")
                hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
            try:
                dt = datetime(year, month, day, hour, int(mm or 0), int(ss or 0))
            except ValueError:
                raise ValueError(f"{value!r} is not a valid date ({DATE_EXAMPLES})") from None
            if zone:
                dt = dt.replace(tzinfo=_offset(zone))
    if dt is None:
        for fmt in _NAMED_FORMATS:
            try:
                dt = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if dt is None:
        raise ValueError(f"{value!r} is not a date ({DATE_EXAMPLES})")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt


_CURRENCY = re.compile(r"^(?:[A-Z]{3}\s*)?[$€£¥₹]?\s*|\s*(?:[$€£¥₹]|[A-Z]{3})?$")


def parse_amount(value: str) -> Decimal:
    """'1,234.50', '$1,200', '1.234,50 €', 'USD 99', '(120.00)' → Decimal with 2 places.
    With both separators the last one is the decimal point; a lone comma followed by exactly
    three digits is a thousands separator (US exports), otherwise a decimal comma."""
    text = value.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.startswith("-"):
        negative, text = True, text[1:]
    text = _CURRENCY.sub("", text)
    if text.startswith("-"):
        negative, text = True, text[1:]
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
            text = text.replace(",", "")
        elif text.count(",") == 1:
            text = text.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", text):
        raise ValueError(f"{value!r} is not an amount (e.g. 1234.50, 1,234.50 or $1,200)")
    try:
        amount = Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount (e.g. 1234.50, 1,234.50 or $1,200)") from None
    return -amount if negative else amount


def parse_int(value: str) -> int:
    text = value.replace(",", "").replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(text.split(".")[0])
    raise ValueError(f"{value!r} is not a whole number")


# A strict subset of what Django's EmailValidator accepts (dot-atom local part, LDH labels,
# alphabetic TLD). Most addresses match it at a fraction of the validator's cost; the others
# still get the full validator, so the verdict is the same.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


def parse_email(value: str) -> str:
    email = normalize_email(value)
    if email.startswith("mailto:"):
        email = email[7:]
    if len(email) > 254:
        raise ValueError(f"{value[:60]!r}… is {len(email)} characters long; an email address has at most 254")
    if _PLAIN_EMAIL.fullmatch(email):
        return email
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError(f"{value!r} is not a valid email address") from None
    return email


def _compact(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.casefold())


# HubSpot lifecycle stages (labels and internal values) and our own stage names.
_LIFECYCLE = {
    "visitor": Stage.VISITOR, "subscriber": Stage.VISITOR, "other": Stage.VISITOR,
    "iql": Stage.IQL, "lead": Stage.IQL, "informationqualifiedlead": Stage.IQL,
    "mql": Stage.MQL, "marketingqualifiedlead": Stage.MQL,
    "sql": Stage.SQL, "salesqualifiedlead": Stage.SQL,
    "opportunity": Stage.OPPORTUNITY,
    "customer": Stage.CUSTOMER, "evangelist": Stage.CUSTOMER,
    "churned": Stage.CHURNED, "formercustomer": Stage.CHURNED,
}  # fmt: skip


def parse_lifecycle_stage(value: str) -> str:
    stage = _LIFECYCLE.get(_compact(value))
    if stage is None:
        raise ValueError(
            f"{value!r} is not a lifecycle stage (one of {', '.join(Stage.labels)}, or a HubSpot stage)"
        )
    return str(stage)


# Salesforce and HubSpot default opportunity stages, folded onto ours.
_DEAL_STAGES = {
    "prospecting": Deal.DealStage.PROSPECTING, "new": Deal.DealStage.PROSPECTING,
    "open": Deal.DealStage.PROSPECTING, "qualification": Deal.DealStage.PROSPECTING,
    "appointmentscheduled": Deal.DealStage.PROSPECTING, "lead": Deal.DealStage.PROSPECTING,
    "engaging": Deal.DealStage.ENGAGING, "needsanalysis": Deal.DealStage.ENGAGING,
    "valueproposition": Deal.DealStage.ENGAGING, "iddecisionmakers": Deal.DealStage.ENGAGING,
    "perceptionanalysis": Deal.DealStage.ENGAGING, "qualifiedtobuy": Deal.DealStage.ENGAGING,
    "presentationscheduled": Deal.DealStage.ENGAGING, "decisionmakerboughtin": Deal.DealStage.ENGAGING,
    "discovery": Deal.DealStage.ENGAGING, "demo": Deal.DealStage.ENGAGING,
    "proposal": Deal.DealStage.PROPOSAL, "proposalpricequote": Deal.DealStage.PROPOSAL,
    "negotiation": Deal.DealStage.PROPOSAL, "negotiationreview": Deal.DealStage.PROPOSAL,
    "contractsent": Deal.DealStage.PROPOSAL, "quote": Deal.DealStage.PROPOSAL,
    "commit": Deal.DealStage.PROPOSAL,
}  # fmt: skip


def parse_deal_stage(value: str) -> str:
    key = _compact(value)
    if "won" in key:
        return str(Deal.DealStage.WON)
    if "lost" in key:
        return str(Deal.DealStage.LOST)
    stage = _DEAL_STAGES.get(key)
    if stage is None:
        raise ValueError(
            f"{value!r} is not a deal stage (Prospecting, Engaging, Proposal, Won, Lost, "
            "or a Salesforce/HubSpot default stage)"
        )
    return str(stage)


def compact_key(value: str) -> str:
    """Spelling-insensitive key for short labels: 'GTXPro' and 'GTX Pro' meet."""
    return _compact(value)
