"""Where an import keeps its merged rows between reading the file and writing them.

An import must see the whole file before it writes anything (a later row merges into an earlier one,
and an invalid row anywhere cancels the import), so every row is held until the end. A dict is the
fastest place for that and is used up to `memory_rows` entries; beyond that the store moves its
rows into a private SQLite file in the temporary directory and goes on there, so a 1 GB export is
imported with the same few hundred MiB as a 100 MB one. Insertion order is kept in both modes,
because rows are written in file order.

Values are pickled: they are the importer's own dicts (strings, numbers, dates, Decimals), written
and read back by this process only, in a file nobody else opens."""

import contextlib
import os
import pickle
import sqlite3
import tempfile
import weakref
from collections.abc import Iterator
from typing import Any

from django.conf import settings

DEFAULT_MEMORY_ROWS = 200_000
_READ_BATCH = 2_000


def memory_rows_setting() -> int:
    return int(getattr(settings, "CLOSEDLOOP_IMPORT_MEMORY_ROWS", DEFAULT_MEMORY_ROWS))


class RecordStore:
    """A str-keyed mapping that spills to disk; only the operations the importer needs.

    A value read from the store is a copy once it has spilled: callers that change a value must
    store it again (`store[key] = value`), which is correct in both modes."""

    def __init__(self, memory_rows: int | None = None) -> None:
        self.memory_rows = memory_rows_setting() if memory_rows is None else memory_rows
        self._memory: dict[str, Any] | None = {}
        self._db: sqlite3.Connection | None = None
        self._path = ""
        self._count = 0

    # -- mode ---------------------------------------------------------------------------------
    @property
    def spilled(self) -> bool:
        return self._db is not None

    def _spill(self) -> None:
        fd, self._path = tempfile.mkstemp(prefix="closedloop-import-", suffix=".sqlite3")
        os.close(fd)
        db = sqlite3.connect(self._path, isolation_level=None)
        # A scratch file: it is deleted at the end and never needs to survive a crash.
        db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
            "CREATE TABLE records (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value BLOB NOT NULL);"
            "BEGIN;"
        )
        assert self._memory is not None
        db.executemany(
            "INSERT INTO records (key, value) VALUES (?, ?)",
            ((key, _dump(value)) for key, value in self._memory.items()),
        )
        self._db, self._memory = db, None
        self._remove_file = weakref.finalize(self, _remove, db, self._path)

    def close(self) -> None:
        """Forget every row and remove the scratch file (also done when the store is collected)."""
        if self._db is not None:
            self._remove_file()
            self._db = None
        self._memory = {}
        self._count = 0

    # -- mapping ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._count

    def __contains__(self, key: object) -> bool:
        if self._memory is not None:
            return key in self._memory
        assert self._db is not None
        return self._db.execute("SELECT 1 FROM records WHERE key = ?", (key,)).fetchone() is not None

    def get(self, key: str, default: Any = None) -> Any:
        if self._memory is not None:
            return self._memory.get(key, default)
        assert self._db is not None
        row = self._db.execute("SELECT value FROM records WHERE key = ?", (key,)).fetchone()
        return default if row is None else pickle.loads(row[0])  # noqa: S301 - our own scratch file

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        if self._memory is not None:
            if key not in self._memory:
                self._count += 1
            self._memory[key] = value
            if self._count > self.memory_rows:
                self._spill()
            return
        assert self._db is not None
        blob = _dump(value)
        if self._db.execute("INSERT OR IGNORE INTO records (key, value) VALUES (?, ?)", (key, blob)).rowcount:
            self._count += 1
        else:
            self._db.execute("UPDATE records SET value = ? WHERE key = ?", (blob, key))

    # -- iteration in insertion order ---------------------------------------------------------
    def items(self) -> Iterator[tuple[str, Any]]:
        if self._memory is not None:
            yield from list(self._memory.items())
            return
        for key, blob in self._scan("key, value"):
            yield key, pickle.loads(blob)  # noqa: S301 - our own scratch file

    def keys(self) -> Iterator[str]:
        if self._memory is not None:
            yield from list(self._memory)
            return
        for (key,) in self._scan("key"):
            yield key

    def __iter__(self) -> Iterator[str]:
        return self.keys()

    def values(self) -> Iterator[Any]:
        for _, value in self.items():
            yield value

    def _scan(self, columns: str) -> Iterator[tuple[Any, ...]]:
        """Rows in insertion order, read in batches by sequence so the caller may write to the
        store between batches."""
        assert self._db is not None
        last = 0
        while True:
            rows = self._db.execute(
                f"SELECT seq, {columns} FROM records WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608
                (last, _READ_BATCH),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            for row in rows:
                yield row[1:]


_MISSING = object()


def _remove(db: sqlite3.Connection, path: str) -> None:
    db.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _dump(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
