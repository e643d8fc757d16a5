"""The fault-injection tests, long: more SIGKILLs of the web server during ingest, a bigger import
killed mid-write, more PostgreSQL restarts under load, and optionally the workflow crash test at its
full size (10,000 contacts).

    .venv/bin/python bench/faults.py [--kills 10] [--import-rows 200000] [--restarts 3] [--postgres] [--workflows]

Runs tests/reliability/test_faults.py (and with --workflows src/closedloop/automation/tests/
test_crash.py) in a pytest process of its own with the sizes raised, and prints each test's figure
line. --postgres runs on BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/closedloop;
the tests use its test_ database) and restarts that PostgreSQL server, so run it where nobody else
uses the server.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs of the web server during ingest")
    parser.add_argument("--import-rows", type=int, default=200_000, help="rows of the import that is killed")
    parser.add_argument("--restarts", type=int, default=3, help="PostgreSQL restarts under load")
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL (BENCH_POSTGRES_URL)")
    parser.add_argument("--workflows", action="store_true", help="also the workflow crash test, full size")
    args = parser.parse_args()

    env = {
        **os.environ,
        "CLOSEDLOOP_FAULT_SERVER_KILLS": str(args.kills),
        "CLOSEDLOOP_FAULT_IMPORT_ROWS": str(args.import_rows),
        "CLOSEDLOOP_FAULT_POSTGRES_RESTARTS": str(args.restarts),
    }
    if args.postgres:
        env["DATABASE_URL"] = os.environ.get(
            "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/closedloop"
        )
    else:
        env.pop("DATABASE_URL", None)
    paths = ["tests/reliability/test_faults.py"]
    if args.workflows:
        paths.append("src/closedloop/automation/tests/test_crash.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *paths, "-m", "crash", "-s", "-q"],
        cwd=ROOT,
        env=env,
    )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
