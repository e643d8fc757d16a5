"""Bulk extraction to Arrow: the ADBC path (its own connection) and the fallback on Django's
connection give the declared schema, with nulls where the database has NULL."""

import sqlite3
from datetime import UTC, datetime

import pyarrow as pa
import pytest
from django.db import connection

from closedloop.crm.models import Deal
from closedloop.insights import datasets
from closedloop.insights.extract import Col, adbc_usable, arrow_select, postgres_uri, q, sqlite_file_select
from tests.factories import ContactFactory, DealFactory

COLS = [
    Col("id", "int", "id"),
    Col("amount", "float", "amount"),
    Col("note", "text", "note"),
    Col("at", "timestamp", "at"),
    Col("ref", "int", "ref"),
]
SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("amount", pa.float64()),
        ("note", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("ref", pa.int64()),
    ]
)


def test_sqlite_adbc_keeps_types_when_nulls_come_first(tmp_path):
    path = str(tmp_path / "t.sqlite3")
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE t (id integer, amount decimal, note varchar(20) NULL, at datetime NULL, ref integer NULL)"
    )
    # The driver types a column from its first rows: 2,000 NULLs, then text, would break it.
    rows = [(i, 5, None, None, None) for i in range(2000)]
    rows += [(2000, 2.5, "late", "2025-06-01 09:30:00.250000", 7), (2001, 3, "", "2025-06-02 10:00:00", None)]
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()

    table = sqlite_file_select(path, COLS, "t ORDER BY id")
    assert table.schema == SCHEMA
    assert table.num_rows == 2002
    assert table.slice(2000).to_pylist() == [
        {
            "id": 2000,
            "amount": 2.5,
            "note": "late",
            "at": datetime(2025, 6, 1, 9, 30, 0, 250000, tzinfo=UTC),
            "ref": 7,
        },
        {"id": 2001, "amount": 3.0, "note": None, "at": datetime(2025, 6, 2, 10, tzinfo=UTC), "ref": None},
    ]
    assert table.column("note").null_count == 2001


def test_an_empty_result_still_has_the_schema(tmp_path):
    path = str(tmp_path / "e.sqlite3")
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (id integer, amount real, note text, at text, ref integer)")
    con.commit()
    con.close()
    assert sqlite_file_select(path, COLS, "t").schema == SCHEMA


@pytest.mark.django_db
def test_inside_a_transaction_the_django_connection_reads_uncommitted_rows():
    assert not adbc_usable()  # a test case runs in a transaction ADBC could not see into
    contact = ContactFactory()
    DealFactory(contact=contact, amount="1234.50", stage="won", closed_at=datetime(2025, 6, 3, 8, tzinfo=UTC))
    DealFactory(contact=None, amount=0, closed_at=None)
    table = datasets.deals_table().sort_by("deal_id")
    assert table.column("amount").to_pylist() == [1234.5, 0.0]
    assert table.column("contact_id").to_pylist() == [contact.pk, None]
    assert table.column("closed_at").to_pylist() == [datetime(2025, 6, 3, 8, tzinfo=UTC), None]
    assert table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")


@pytest.mark.django_db(transaction=True)
def test_committed_rows_come_through_adbc_where_the_database_allows_it():
    contact = ContactFactory()
    DealFactory(contact=contact, amount="99.99", stage="lost", closed_at=datetime(2025, 6, 3, 8, tzinfo=UTC))
    if connection.vendor == "postgresql":
        assert adbc_usable()  # PostgreSQL: ADBC's own connection sees the committed rows
    table = arrow_select(
        [Col("amount", "float", "amount"), Col("stage", "text", "stage")], q(Deal._meta.db_table)
    )
    assert table.to_pylist() == [{"amount": 99.99, "stage": "lost"}]


def test_postgres_uri_encodes_credentials():
    uri = postgres_uri({"USER": "ana", "PASSWORD": "p@ss/word", "HOST": "db", "PORT": 5433, "NAME": "cl"})
    assert uri == "postgresql://ana:p%40ss%2Fword@db:5433/cl"
    assert postgres_uri({"USER": "postgres", "HOST": "", "NAME": "x"}) == "postgresql://postgres@localhost/x"
