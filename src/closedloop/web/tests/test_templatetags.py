from decimal import Decimal

from closedloop.web.templatetags.closedloop_tags import money, pct, properties_summary


def test_money_formats_with_thousands_and_cents():
    assert money(Decimal("1234567.5")) == "1,234,567.50"
    assert money(Decimal("0")) == "0.00"
    assert money(12) == "12.00"


def test_missing_ratios_show_a_dash_not_zero():
    assert money(None) == "—"
    assert pct(None) == "—"
    assert pct(71.4286) == "71.4%"


def test_properties_summary():
    assert (
        properties_summary({"form": "demo", "shared": True, "tags": ["a"]})
        == "form: demo · shared: yes · tags: …"
    )
    assert properties_summary({}) == ""
    assert properties_summary(None) == ""
    assert len(properties_summary({"k": "x" * 500})) == 140
