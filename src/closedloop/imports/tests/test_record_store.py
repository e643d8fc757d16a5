"""The import's row store: the same answers in memory and spilled to disk, and the same database
after an import whichever mode held the rows."""

import os
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from closedloop.crm.models import Account, Contact, Deal, StageTransition
from closedloop.imports.record_store import RecordStore


def _fill(store: RecordStore) -> None:
    store["b@x.example"] = {"n": 1}
    store["a@x.example"] = {"when": datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "amount": Decimal("9.90")}
    store["c@x.example"] = {"name": "Zoë"}
    store["b@x.example"] = {"n": 2}  # replaces, keeps its place


@pytest.mark.parametrize("memory_rows", [100, 1], ids=["memory", "spilled"])
def test_store_keeps_insertion_order_replacements_and_count(memory_rows):
    store = RecordStore(memory_rows=memory_rows)
    _fill(store)
    assert store.spilled is (memory_rows == 1)
    assert len(store) == 3
    assert list(store) == ["b@x.example", "a@x.example", "c@x.example"]
    assert store["b@x.example"] == {"n": 2}
    assert store["a@x.example"]["amount"] == Decimal("9.90")
    assert store.get("missing@x.example", "none") == "none"
    assert "c@x.example" in store and "missing@x.example" not in store
    with pytest.raises(KeyError):
        store["missing@x.example"]
    assert [value for _, value in store.items()][2] == {"name": "Zoë"}


def test_spilled_store_hands_out_copies_and_removes_its_file():
    store = RecordStore(memory_rows=1)
    _fill(store)
    path = store._path
    assert os.path.exists(path)
    row = store["b@x.example"]
    row["n"] = 99
    assert store["b@x.example"] == {"n": 2}  # a copy: the caller must store it again
    store.close()
    assert not os.path.exists(path)
    assert len(store) == 0


def test_store_iterates_past_one_read_batch():
    store = RecordStore(memory_rows=10)
    for n in range(4_500):
        store[f"k{n}"] = n
    assert store.spilled
    assert sum(store.values()) == sum(range(4_500))
    assert next(iter(store)) == "k0"


def _rows(query) -> list:
    return sorted(query, key=str)  # None sorts too


def _database_state() -> dict:
    return {
        "contacts": _rows(
            Contact.objects.values_list(
                "email", "first_name", "last_name", "lifecycle_stage", "account__normalized_name"
            )
        ),
        "accounts": _rows(Account.objects.values_list("normalized_name", "name", "industry")),
        "deals": _rows(Deal.objects.values_list("external_id", "name", "amount", "stage", "contact__email")),
        "transitions": _rows(StageTransition.objects.values_list("contact__email", "from_stage", "to_stage")),
    }


def _import(path, target: str) -> None:
    call_command(
        "import", str(path), "--target", target, "--no-progress", stdout=StringIO(), stderr=StringIO()
    )


@pytest.mark.django_db
def test_imports_write_the_same_rows_whether_spilled_or_not(write_csv, settings):
    """Contacts with merges, rows without an email, a re-import updating stored rows, accounts and
    deals: run once holding rows in memory, once spilling after 2 rows; the database must match."""
    accounts = write_csv(
        [["Account", "Industry"], ["Acme Inc", "Retail"], ["Globex", "Energy"], ["ACME, inc.", ""]]
    )
    contacts = write_csv(
        [
            ["Email", "First Name", "Last Name", "Company", "Lifecycle Stage"],
            ["ada@x.example", "Ada", "L", "Acme Inc", "lead"],
            ["", "No", "Email", "Globex", "lead"],
            ["grace@x.example", "Grace", "H", "Initech", "subscriber"],
            ["ADA@x.example", "", "Lovelace", "", "marketingqualifiedlead"],
            ["", "Also", "Nameless", "", ""],
            ["linus@x.example", "Linus", "T", "Globex", "lead"],
        ]
    )
    update = write_csv(
        [["Email", "Title", "Lifecycle Stage"], ["grace@x.example", "CTO", "lead"], ["new@x.example", "", ""]]
    )
    deals = write_csv(
        [
            ["Deal ID", "Deal Name", "Account", "Amount", "Deal Stage", "Contact Email"],
            ["D1", "Acme renewal", "Acme Inc", "1200.50", "won", "ada@x.example"],
            ["D2", "Globex pilot", "Globex", "300", "open", "nobody@x.example"],
            ["D1", "", "", "1250", "", ""],
        ]
    )
    states = []
    for memory_rows in (1_000, 2):
        settings.CLOSEDLOOP_IMPORT_MEMORY_ROWS = memory_rows
        _import(accounts, "accounts")
        _import(contacts, "contacts")
        _import(update, "contacts")
        _import(deals, "deals")
        states.append(_database_state())
        for model in (StageTransition, Deal, Contact, Account):
            model.objects.all().delete()
    memory, spilled = states
    assert memory == spilled
    # Hand-checked facts of the files, so equal-but-wrong cannot pass.
    assert [c[0] for c in memory["contacts"]].count(None) == 2
    ada = next(c for c in memory["contacts"] if c[0] == "ada@x.example")
    assert ada[1:4] == ("Ada", "Lovelace", "mql")  # the later row moves the stage forward
    assert len(memory["accounts"]) == 3  # acme, globex, initech
    assert [(d[0], d[2]) for d in memory["deals"]] == [("D1", Decimal("1250.00")), ("D2", Decimal("300.00"))]
