"""A small won/lost history with a planted signal, built in bulk so tests stay fast."""

from datetime import timedelta

import numpy as np

from closedloop.crm.models import Account, Contact, Deal
from closedloop.scoring.tests.conftest import NOW
from closedloop.tracking.models import Event


def history(*, won: int, lost: int, open_leads: int = 0, seed: int = 5) -> dict[str, list[int]]:
    """Won contacts attended a webinar before their deal opened 4 in 5 times, lost ones 1 in 5;
    persona ops_manager likewise. Won contacts are marked "customer" (filled in by the deal
    outcome: the leakage the guard must keep out). Every contact also gets events after its deal
    opened, which must not count."""
    rng = np.random.default_rng(seed)
    account = Account.objects.create(
        name="Acme", normalized_name=f"acme{seed}", employees=200, industry="logistics"
    )
    created = NOW - timedelta(days=120)
    outcomes = [1] * won + [0] * lost + [None] * open_leads
    contacts = Contact.objects.bulk_create(
        [Contact(email=f"p{seed}-{i}@acme.test", created_at=created, account=account,
                 persona="ops_manager" if (rng.random() < (0.8 if o == 1 else 0.2)) else "student",
                 lifecycle_stage={1: "customer", 0: "sql", None: "mql"}[o])
         for i, o in enumerate(outcomes)]
    )  # fmt: skip
    deals, events = [], []
    for i, (contact, outcome) in enumerate(zip(contacts, outcomes, strict=True)):
        opened = NOW - timedelta(days=30)
        if outcome is not None:
            deals.append(Deal(name=f"D{i}", contact=contact, account=account, created_at=opened,
                              stage="won" if outcome else "lost", closed_at=opened + timedelta(days=10)))  # fmt: skip
        if rng.random() < (0.8 if outcome == 1 else 0.2):
            events.append(Event(idempotency_key=f"w{seed}-{i}", type="webinar_attended", contact=contact,
                                ts=(NOW if outcome is None else opened) - timedelta(days=5)))  # fmt: skip
        events.append(Event(idempotency_key=f"late{seed}-{i}", type="meeting_booked", contact=contact,
                            ts=opened + timedelta(days=2)))  # fmt: skip
    Deal.objects.bulk_create(deals)
    Event.objects.bulk_create(events)
    ids = [c.pk for c in contacts]
    return {"won": ids[:won], "lost": ids[won : won + lost], "open": ids[won + lost :]}
