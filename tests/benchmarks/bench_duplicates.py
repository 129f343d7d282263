"""Benchmark the duplicate finder of the Bank Matching view on a large bank journal.

Fills one bank journal of a copy of the template database with ``--lines`` statement
lines (through the statement-line builder, the path file import and online sync take;
committed and analysed per chunk), a share of them exact duplicates, then times
``account.bank.statement.line._bank_matching_find_duplicate_groups`` (the wizard's one
grouped SQL query) and prints the seconds, the memory the detection takes (Python peak
through ``tracemalloc``, process peak growth) and the query plan's top lines.

Usage::

    python3 tests/benchmarks/bench_duplicates.py [--lines 100000] [--duplicates 0.01]
        [--runs 5] [--keep]
"""

import argparse
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.harness import database, locate, pg  # noqa: E402

SHELL_SCRIPT = r'''
import datetime, random, resource, statistics, time, tracemalloc
from decimal import Decimal
from odoo.addons.account_bank_statement_import.parsers.result import (
    ParsedStatement, Transaction,
)

LINES, DUP_SHARE, RUNS, CHUNK = {lines}, {duplicates}, {runs}, 10000
env.user.write({{"group_ids": [(4, env.ref("account.group_account_user").id)]}})
journal = env["account.journal"].create({{"name": "Bench Bank", "code": "BNCH", "type": "bank"}})
env.cr.commit()
rng = random.Random(42)
start_day = datetime.date(2020, 1, 1)
builder = env["account.bank.statement.line.builder"]
made = dup_made = 0
fill_started = time.perf_counter()
while made < LINES:
    txs = []
    for _ in range(min(CHUNK, LINES - made)):
        if txs and rng.random() < DUP_SHARE:
            txs.append(txs[rng.randrange(len(txs))])  # same date, amount, account, label
            dup_made += 1
        else:
            txs.append(Transaction(
                date=start_day + datetime.timedelta(days=rng.randrange(5 * 365)),
                amount=Decimal(rng.randrange(-500000, 500000)) / 100,
                label=f"Payment {{rng.randrange(10**9)}}",
                account_number=f"NL{{rng.randrange(10**8):08d}}",
                unique_import_id=None,
            ))
    builder._import_statements(journal, [ParsedStatement(transactions=txs)], group_by="none")
    made += len(txs)
    env.cr.commit()
    env.cr.execute("ANALYZE account_move, account_move_line, account_bank_statement_line")
    env.cr.commit()
    env.invalidate_all()
    print(f"filled {{made}} lines ({{time.perf_counter() - fill_started:.0f}} s)", flush=True)
fill_seconds = time.perf_counter() - fill_started

Line = env["account.bank.statement.line"]
count = Line.search_count([("journal_id", "=", journal.id)])
timings = []
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(RUNS):
    env.invalidate_all()
    started = time.perf_counter()
    groups = Line._bank_matching_find_duplicate_groups(journal)
    timings.append(time.perf_counter() - started)
rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
env.invalidate_all()
tracemalloc.start()
Line._bank_matching_find_duplicate_groups(journal)
_current, python_peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
in_groups = sum(len(ids) for _code, _label, ids in groups)
env.cr.execute("EXPLAIN ANALYZE SELECT array_agg(id) FROM account_bank_statement_line st_line "
               "WHERE journal_id = %s AND internal_index >= '' GROUP BY amount, "
               "left(internal_index, 8), account_number HAVING count(*) > 1", [journal.id])
plan = [row[0] for row in env.cr.fetchall()]
print(f"journal size: {{count}} statement lines ({{dup_made}} planted duplicates)")
print(f"fill: {{fill_seconds:.0f}} s ({{fill_seconds / max(made, 1) * 1000:.1f}} ms/line)")
print(f"duplicate detection: median {{statistics.median(timings) * 1000:.0f}} ms, "
      f"min {{min(timings) * 1000:.0f}} ms over {{RUNS}} runs")
print(f"groups found: {{len(groups)}} ({{in_groups}} lines)")
print(f"detection memory: Python peak {{python_peak / 2**20:.1f}} MB (tracemalloc), "
      f"process peak growth {{rss_growth:.0f}} MB (ru_maxrss)")
print("plan of the amount/date/account key:")
for line in plan[:8]:
    print("   ", line)
'''


def main(argv=None):
    """Build the database, run the benchmark in ``odoo-bin shell``, print its output."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100000)
    parser.add_argument("--duplicates", type=float, default=0.01,
                        help="share of lines that repeat an earlier one (default 0.01)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)

    odoo = locate.find_odoo()
    with pg.postgres(database.cache_dir()) as server:
        template = database.ensure_template(odoo, server)
        db_name = "bankfeeds_bench_duplicates"
        database.clone(server, template, db_name)
        conf = database.write_config(odoo, server, db_name)
        script = SHELL_SCRIPT.format(lines=args.lines, duplicates=args.duplicates,
                                     runs=args.runs)
        try:
            proc = subprocess.run(
                [*odoo.odoo_bin, "shell", "-c", str(conf), "-d", db_name, "--no-http",
                 "--log-level=warn"],
                input=script, text=True, env=odoo.env([REPO]), check=False,
            )
        finally:
            if not args.keep:
                database.drop(server, db_name)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
