"""Peak memory of `closedloop import` as the file grows: it must stay bounded, not follow the file.

    .venv/bin/python bench/import_memory.py [--rows 100000,400000,1600000] [--memory-rows 200000]

For each size, generates a contacts export (bench/import_csv.py's generator, ~140 bytes a row, so
7.5M rows make a 1 GB file), migrates a fresh SQLite database and runs `closedloop import` on it in
a child process, reading the child's peak resident memory from the kernel (wait4). The reference,
in a child process of its own, starts Django the same way and reads the same file with the csv
module, keeping nothing: the ratio shows what the import holds on top of parsing. The import holds
up to CLOSEDLOOP_IMPORT_MEMORY_ROWS merged rows in memory (default 200,000) and spills the rest to
a scratch file, so past that size the peak should stop growing.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from import_csv import make_csv  # noqa: E402

CLOSEDLOOP = str(Path(sys.executable).with_name("closedloop"))
REFERENCE = """
import csv, sys, django
django.setup()
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    sum(1 for _ in csv.reader(f))
"""


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak resident MiB of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args[:3]} failed: {child.stderr.read().decode()[-2000:] if child.stderr else ''}")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", default="100000,400000,1600000", help="comma-separated file sizes in rows")
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--memory-rows", type=int, default=None, help="CLOSEDLOOP_IMPORT_MEMORY_ROWS")
    args = parser.parse_args()

    print(
        f"{'rows':>10} {'file MB':>8} {'import s':>9} {'rows/s':>8} {'peak MiB':>9} {'csv-only MiB':>13} {'ratio':>6}"
    )
    for rows in (int(n) for n in args.rows.split(",")):
        with tempfile.TemporaryDirectory(prefix="closedloop-import-memory-") as workdir:
            csv_path = Path(workdir) / "contacts.csv"
            make_csv(csv_path, rows, args.companies)
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
                "CLOSEDLOOP_DATA_DIR": workdir,
                "DJANGO_SETTINGS_MODULE": "closedloop.config.settings",
            }
            if args.memory_rows is not None:
                env["CLOSEDLOOP_IMPORT_MEMORY_ROWS"] = str(args.memory_rows)
            subprocess.run([CLOSEDLOOP, "migrate", "--verbosity", "0"], env=env, check=True)
            _, reference_mib = run_measured([sys.executable, "-c", REFERENCE, str(csv_path)], env)
            seconds, peak_mib = run_measured(
                [CLOSEDLOOP, "import", str(csv_path), "--target", "contacts", "--no-progress"], env
            )
            size_mb = csv_path.stat().st_size / 1e6
            print(
                f"{rows:>10,} {size_mb:>8.0f} {seconds:>9.1f} {rows / seconds:>8,.0f} "
                f"{peak_mib:>9.0f} {reference_mib:>13.0f} {peak_mib / reference_mib:>6.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
