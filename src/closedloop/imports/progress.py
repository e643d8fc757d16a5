"""In-process progress of running imports, keyed by job id.

Why not a database column: on SQLite the import's single write transaction holds the write lock
until it commits, so a progress UPDATE from another connection would wait for the very import it
reports on, and one from inside the transaction is invisible to readers until the end. The web
process that runs the import keeps its progress here; the job row is written once, at the end."""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Progress:
    phase: str = "reading"  # reading → writing → done
    rows_read: int = 0
    bytes_read: int = 0
    bytes_total: int = 0
    rows_to_write: int = 0
    rows_written: int = 0
    on_change: Callable[["Progress"], None] | None = field(default=None, repr=False)

    @property
    def percent(self) -> int:
        """Reading (validating) is the first half of the bar, writing the second."""
        if self.phase == "done":
            return 100
        read = min(1.0, self.bytes_read / self.bytes_total) if self.bytes_total else 0.0
        if self.phase == "reading":
            return int(50 * read)
        written = min(1.0, self.rows_written / self.rows_to_write) if self.rows_to_write else 1.0
        return 50 + int(50 * written)

    def read(self, *, rows: int, bytes_read: int) -> None:
        self.rows_read = rows
        self.bytes_read = bytes_read
        if self.on_change:
            self.on_change(self)

    def start_writing(self, total: int) -> None:
        self.phase = "writing"
        self.rows_to_write = total
        self.rows_written = 0
        if self.on_change:
            self.on_change(self)

    def wrote(self, rows: int) -> None:
        self.rows_written += rows
        if self.on_change:
            self.on_change(self)

    def finish(self) -> None:
        self.phase = "done"
        if self.on_change:
            self.on_change(self)


_lock = threading.Lock()
_running: dict[int, Progress] = {}


def progress_register(job_id: int, progress: Progress) -> Progress:
    with _lock:
        _running[job_id] = progress
    return progress


def progress_get(job_id: int) -> Progress | None:
    with _lock:
        return _running.get(job_id)


def progress_forget(job_id: int) -> None:
    with _lock:
        _running.pop(job_id, None)
