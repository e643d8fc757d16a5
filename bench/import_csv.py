"""Rows/s through the CSV import, on SQLite and (with --postgres) PostgreSQL.

    .venv/bin/python bench/import_csv.py [--rows 100000] [--companies 20000] [--postgres] [--reimport]

Generates a realistic contacts export (names, unique emails, ~20k companies written with varying
legal suffixes and case, titles, lifecycle stages, create dates), then imports it with the same
service the `import` command uses, into a fresh database: a temporary SQLite file, or the
PostgreSQL database named by BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/
closedloop_bench, dropped and re-created). The reference, in the same process, is reading the
same file with the csv module and nothing else, so the ratio shows what validation,
deduplication and the writes cost on top of parsing. The requirement: 100,000 rows in < 60 s on SQLite.
"""

import argparse
import csv
import os
import random
import sys
import tempfile
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Barbara",
    "Ken",
    "Margaret",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Sophie",
    "Guido",
    "Anita",
    "Bjarne",
    "Hedy",
    "Donald",
    "Katherine",
    "John",
    "Mary",
    "Niklaus",
    "Shafi",
    "Leslie",
    "Jean",
    "Ivan",
    "Lynn",
    "Yukihiro",
    "Chloé",
    "Søren",
    "Zoë",
    "José",
]
LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Liskov",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Wilson",
    "Rossum",
    "Borg",
    "Stroustrup",
    "Lamarr",
    "Knuth",
    "Johnson",
    "McCarthy",
    "Keller",
    "Wirth",
    "Goldwasser",
    "Lamport",
    "Sammet",
    "Sutherland",
    "Conway",
    "Matsumoto",
    "Müller",
    "O'Brien",
    "García",
    "Nowak",
]
TITLES = ["CTO", "VP Marketing", "Head of Sales", "Ops Manager", "Engineer", "Analyst", "CEO", "Buyer", ""]
STAGES = [
    "Subscriber",
    "Lead",
    "Lead",
    "Marketing Qualified Lead",
    "Sales Qualified Lead",
    "Opportunity",
    "Customer",
]
SOURCES = ["Organic Search", "Paid Search", "Paid Social", "Email Marketing", "Referrals", "Direct Traffic"]
SYLLABLES = [
    "ac",
    "me",
    "glo",
    "bex",
    "ini",
    "tech",
    "dyn",
    "amo",
    "vex",
    "tri",
    "on",
    "ar",
    "zen",
    "ka",
    "lo",
    "mi",
    "no",
    "pra",
    "qua",
    "ru",
    "si",
    "ta",
    "ul",
    "vo",
    "wy",
]
SUFFIXES = ["", " Inc.", " Inc", ", Inc.", " GmbH", " Ltd", " LLC", " Corp."]
HEADER = [
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Company Name",
    "Job Title",
    "Lifecycle Stage",
    "Contact owner",
    "Create Date",
    "Original Source",
]


def ascii_email(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return folded.replace("'", "")


def make_csv(path: Path, rows: int, companies: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < companies:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        name += rng.choice(["", " Systems", " Labs", " Group", " Partners", " Foods", " Health"])
        if name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = rng.choice(names)
            # The same company written as "Acme", "ACME Inc." or "acme, inc.": dedup must merge them.
            spelled = company + rng.choice(SUFFIXES)
            spelled = spelled.upper() if rng.random() < 0.05 else spelled
            created = start + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            writer.writerow(
                [
                    first,
                    last,
                    ascii_email(f"{first}.{last}.{i}@{company.split()[0].lower()}.example"),
                    f"+1 555 {rng.randrange(10**7):07d}",
                    spelled,
                    rng.choice(TITLES),
                    rng.choice(STAGES),
                    "",
                    created.strftime("%Y-%m-%d %H:%M"),
                    rng.choice(SOURCES),
                ]
            )


def parse_only(path: Path, repeat: int = 3) -> tuple[float, int]:
    """The reference: read every row with the csv module and nothing else (best of `repeat`)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as f:
            count = sum(1 for _ in csv.reader(f)) - 1
        best = min(best, time.perf_counter() - started)
    return best, count


def prepare_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument(
        "--reimport", action="store_true", help="then import the same file again (all updates)"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="closedloop-import-bench-"))
    csv_path = workdir / "contacts.csv"
    make_csv(csv_path, args.rows, args.companies)
    if args.postgres:
        url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/closedloop_bench")
        prepare_postgres(url)
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    # Settings read DATABASE_URL at import time: set it before django.setup().
    os.environ["DATABASE_URL"] = url
    os.environ["CLOSEDLOOP_DATA_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closedloop.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from closedloop.crm.models import Account, Contact, StageTransition
    from closedloop.imports.services import import_file

    call_command("migrate", verbosity=0)
    parse_s, parsed = parse_only(csv_path)

    started = time.perf_counter()
    job = import_file(path=csv_path, target="contacts")
    import_s = time.perf_counter() - started
    report = job.summary
    assert report["written"], report.get("refused")
    assert Contact.objects.count() == report["created"] == parsed, (Contact.objects.count(), parsed)
    engine = "PostgreSQL" if args.postgres else "SQLite"
    size_mb = csv_path.stat().st_size / 1e6
    print(f"database          {engine}")
    print(f"file              {parsed:,} rows, {size_mb:.1f} MB, {args.companies:,} companies")
    print(f"contacts created  {Contact.objects.count():,}")
    print(f"accounts created  {Account.objects.count():,} (spellings merged by normalised name)")
    print(f"stage transitions {StageTransition.objects.count():,}")
    print(f"parse only (csv)  {parse_s:.2f} s best of 3 ({parsed / parse_s:,.0f} rows/s)")
    print(f"import            {import_s:.2f} s ({parsed / import_s:,.0f} rows/s)")
    print(f"  read+validate   {report['read_s']:.2f} s (incl. dedup and look-ups)")
    print(f"  write           {report['write_s']:.2f} s (one transaction)")
    print(f"ratio             {import_s / parse_s:.1f}x parse-only")
    if not args.postgres:  # the requirement is stated for SQLite
        print(f"verdict           {'PASS' if import_s < 60 else 'FAIL'} (< 60 s for {parsed:,} rows)")
    if args.reimport:
        started = time.perf_counter()
        again = import_file(path=csv_path, target="contacts").summary
        reimport_s = time.perf_counter() - started
        assert again["updated"] == parsed and again["created"] == 0, again
        print(
            f"re-import         {reimport_s:.2f} s ({parsed / reimport_s:,.0f} rows/s, every row an update)"
        )


if __name__ == "__main__":
    main()
