"""`closedloop demo` ships with agreement v1, signed by maya and sam, active."""

from datetime import date

import pytest

from closedloop.agreement import selectors
from closedloop.demo.generator import demo_generate


@pytest.mark.django_db
def test_demo_generator_leaves_an_active_agreement_signed_by_both_heads():
    summary = demo_generate(seed=3, end_date=date(2026, 3, 31), contacts=50)
    version = selectors.agreement_active_get()
    assert version is not None and version.number == 1
    signatures = {s.side: s.user.username for s in version.signatures.all()}
    assert signatures == {"marketing": "maya", "sales": "sam"}
    assert {u.username for u in version.qualifiers.all()} == {"alex", "chen"}
    # Signed before the history the demo generates, so every transition falls under it.
    assert version.activated_at.date() < summary.start_date
    assert selectors.agreement_problems(version=version) == []
