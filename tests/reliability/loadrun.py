"""Runs the load test's locust users (locustfile.py) against a running server in a locust process of
its own for a bounded time, and reads back locust's statistics (requests/s and latency percentiles
per kind of request) and the ingest clients' acknowledged and pending batches."""

import csv
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
KINDS = ("ingest", "dashboard", "sales queue")


@dataclass(frozen=True)
class KindStats:
    name: str
    requests: int
    failures: int
    per_second: float
    p50: float
    p95: float
    p99: float

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class LoadReport:
    kinds: dict[str, KindStats]  # ingest, dashboard, sales queue, login and "Aggregated"
    acked: set[str]  # every idempotency key of every acknowledged batch
    pending: set[str]  # keys of batches still unacknowledged when the run stopped
    failures: list[str]  # locust's failure messages, one per distinct error

    @property
    def total(self) -> KindStats:
        return self.kinds["Aggregated"]


def _keys(path: Path) -> set[str]:
    keys: set[str] = set()
    if path.exists():
        for line in path.read_text().splitlines():
            prefix, count = line.split()
            keys.update(f"{prefix}-{i}" for i in range(int(count)))
    return keys


def load_run(
    *, base_url: str, env: dict[str, str], out_dir: Path, run: str, seconds: int, users: int
) -> LoadReport:
    """`users` is split evenly between the three kinds (locust spawns them by equal weight)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    acked, pending = out_dir / "acked.txt", out_dir / "pending.txt"
    for path in (acked, pending):
        path.unlink(missing_ok=True)
    locust_env = {
        **env,
        "PYTHONPATH": str(ROOT),
        "CLOSEDLOOP_LOAD_RUN": run,
        "CLOSEDLOOP_LOAD_ACKED": str(acked),
        "CLOSEDLOOP_LOAD_PENDING": str(pending),
    }
    args = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", base_url]
    args += ["--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s"]
    # Let each user finish the request it is making, so that every batch sent gets its answer.
    args += ["--stop-timeout", "60", "--only-summary", "--loglevel", "WARNING"]
    args += ["--csv", str(out_dir / "locust"), "--exit-code-on-error", "0"]
    done = subprocess.run(args, env=locust_env, capture_output=True, text=True, timeout=seconds + 120)
    (out_dir / "locust.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"locust failed ({done.returncode}): {done.stderr[-3000:]}")
    kinds = {}
    with open(out_dir / "locust_stats.csv", newline="") as f:
        for row in csv.DictReader(f):
            kinds[row["Name"]] = KindStats(
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                per_second=float(row["Requests/s"]),
                p50=float(row["50%"]),
                p95=float(row["95%"]),
                p99=float(row["99%"]),
            )
    failures = []
    failures_csv = out_dir / "locust_failures.csv"
    if failures_csv.exists():
        with open(failures_csv, newline="") as f:
            failures = [f"{r['Name']}: {r['Error']} ({r['Occurrences']}x)" for r in csv.DictReader(f)]
    return LoadReport(kinds=kinds, acked=_keys(acked), pending=_keys(pending), failures=failures)


def report_table(report: LoadReport) -> str:
    lines = [f"{'kind':<12}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"]
    for name in (*KINDS, "login", "Aggregated"):
        k = report.kinds.get(name)
        if k is not None:
            label = "all" if name == "Aggregated" else name
            lines.append(
                f"{label:<12}{k.requests:>10,}{k.per_second:>9.1f}{k.p50:>9.0f}{k.p95:>9.0f}{k.p99:>9.0f}"
                f"{k.failures:>8}"
            )
    return "\n".join(lines)
