"""Persona suggestions: clusters of won customers with a plain explanation."""

from closedloop.content.clustering import Customer, persona_suggestions


def test_two_obvious_groups_give_a_refine_and_a_new_suggestion():
    logistics = [Customer("ops_manager", "logistics", "ppc", 300 + i, 20000.0 + i) for i in range(6)]
    retail = [Customer(p, "retail", "referral", 15 + i, 3000.0) for i, p in
              enumerate(["founder", "analyst", "cfo", "founder", "analyst", "cfo"])]  # fmt: skip
    suggestions = persona_suggestions(logistics + retail)
    assert len(suggestions) == 2
    big, small = suggestions  # biggest revenue first
    assert (big.size, big.kind, big.persona) == (6, "refine", "ops_manager")
    assert big.revenue == sum(c.revenue for c in logistics)
    assert "100% industry logistics, 2.0× the share among all customers" in big.traits
    assert big.median_company_size == 302.5
    assert (small.kind, small.persona) == ("new", "")
    assert "no single persona describes (founder 33%, analyst 33%, cfo 33%)" in small.headline
    assert "100% industry retail, 2.0× the share among all customers" in small.traits
    assert small.median_company_size == 17.5


def test_too_few_customers_give_no_suggestion():
    assert persona_suggestions([Customer("cfo", "", "", None, 1.0)] * 7) == []
