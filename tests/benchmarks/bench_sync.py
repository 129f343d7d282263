"""Benchmark: synchronize N transactions from the sandbox bank into a journal (prints figures).

Not a test (no timing assertions). For each N, in a fresh copy of the template database:
connect the sandbox's "Hausbank" through the consent flow, give its account in the
company's currency N transactions spread over the last year (``/_sandbox/volume``; card
payments of the last two days are still pending, so slightly fewer are booked), link it to
a bank journal and run the cron's synchronization path (batches committed as they are
booked).
Prints seconds, lines per second and the process's peak memory growth (``ru_maxrss``);
``BENCH_TRACE=1`` also prints the current memory every 20 committed batches. ``--period``
sets the journal's statement grouping (monthly by default, as a new journal).

Usage, from the repository root::

    python3 tests/benchmarks/bench_sync.py                # 10,000
    python3 tests/benchmarks/bench_sync.py --n 10000 --n 100000
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.harness import database, locate, pg  # noqa: E402
from tests.harness.__main__ import start_sandbox, stop  # noqa: E402

# Runs inside ``odoo-bin shell`` (``env`` is given).
CHILD = r'''
import json, os, resource, time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
import requests
from odoo import fields
from odoo.addons.account_online_synchronization.sandbox import DEMO_SECRET_ID, DEMO_SECRET_KEY

n = int(os.environ["BENCH_N"])
sandbox = os.environ["BENCH_SANDBOX"]
params = env["ir.config_parameter"].sudo()
prefix = "account_online_synchronization."
params.set_param(prefix + "gocardless_secret_id", DEMO_SECRET_ID)
params.set_param(prefix + "gocardless_secret_key", DEMO_SECRET_KEY)
params.set_param(prefix + "gocardless_url", sandbox)
link = env["account.online.link"].create({
    "name": "Bench", "institution_identifier": "SBX_HAUSBANK_HBDEDEFF",
    "history_days": 730, "phone_number": "+32470123456",
})
action = link._start_consent("SBX_HAUSBANK_HBDEDEFF")
answer = requests.post(action["url"], data={"action": "authorise"}, allow_redirects=False,
                       timeout=30)
link._complete_consent()
# Hausbank has a EUR and a USD account: take the company's currency (a journal in a
# foreign currency would leave the builder's fast path).
account = link.account_online_account_ids.filtered(
    lambda a: a.currency_id == env.company.currency_id)[:1]
assert account, "no sandbox account in the company's currency"
today = fields.Date.today()
requests.post(f"{sandbox}/_sandbox/volume", timeout=30, json={
    "account": account.online_identifier, "total": n,
    "date_from": (today - timedelta(days=365)).isoformat(),
    "date_to": today.isoformat(),
}).raise_for_status()
# Fetch exactly the year the volume covers (the bank would give two).
account.sudo().last_sync = today - timedelta(days=366)
requests.post(f"{sandbox}/_sandbox/limits", json={"account_daily": None}, timeout=30)
journal = env["account.journal"].create({"name": "Bench Bank", "type": "bank", "code": "BNCH",
                                        "online_sync_period": os.environ["BENCH_PERIOD"]})
journal.write({"account_online_account_id": account.id, "bank_statements_source": "online_sync"})
env.cr.commit()
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
trace = []
if os.environ.get("BENCH_TRACE"):
    # Current (not peak) memory after every 20th committed batch.
    Link = type(link)
    commit_batch = Link._commit_batch

    def traced(self, processed=0):
        commit_batch(self, processed)
        with open("/proc/self/statm") as statm:
            trace.append(int(statm.read().split()[1]) * resource.getpagesize() >> 20)

    Link._commit_batch = traced
start = time.perf_counter()
created = link._sync(commit=True)
env.cr.commit()
seconds = time.perf_counter() - start
rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
lines = env["account.bank.statement.line"].search_count([("journal_id", "=", journal.id)])
print("BENCH " + json.dumps({
    "n": n, "created": created, "lines": lines, "state": link.state,
    "seconds": seconds, "peak_rss_growth_mb": (rss_after - rss_before) / 1024,
    "peak_rss_mb": rss_after / 1024, "trace_mb": trace[::20] + trace[-1:],
}))
'''


def run_one(odoo, server, template, n, sandbox_url, period="month"):
    """Copy the template, synchronize ``n`` transactions, return the child's figures."""
    name = f"bankfeeds_bench_{os.getpid()}_{n}"
    database.clone(server, template, name)
    try:
        conf = database.write_config(odoo, server, name)
        env = {**odoo.env([REPO]), "BENCH_N": str(n), "BENCH_SANDBOX": sandbox_url,
               "BENCH_PERIOD": period}
        proc = subprocess.run(
            [*odoo.odoo_bin, "shell", "-c", str(conf), "-d", name, "--no-http",
             "--log-level=warn"],
            input=CHILD, text=True, env=env, capture_output=True, check=False,
        )
        for line in proc.stdout.splitlines():
            if line.startswith("BENCH "):
                import json  # noqa: PLC0415

                return json.loads(line[len("BENCH "):])
        raise SystemExit(f"benchmark child failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    finally:
        database.drop(server, name)


def main(argv=None):
    """Run the benchmark for every ``--n`` and print one line of figures each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="transactions (repeatable)")
    parser.add_argument("--period", default="month",
                        choices=["none", "day", "week", "bimonthly", "month"],
                        help="the journal's statement grouping (default: month)")
    args = parser.parse_args(argv)
    sizes = args.n or [10000]
    odoo = locate.find_odoo()
    with pg.postgres(database.cache_dir()) as server:
        template = database.ensure_template(odoo, server, log=print)
        sandbox, sandbox_url = start_sandbox(odoo)
        try:
            for n in sizes:
                result = run_one(odoo, server, template, n, sandbox_url, args.period)
                rate = result["created"] / result["seconds"] if result["seconds"] else 0
                print(  # noqa: T201
                    f"sync {n:>7,} transactions ({args.period}): {result['created']:,} lines in "
                    f"{result['seconds']:.1f} s ({rate:,.0f} lines/s), peak memory "
                    f"+{result['peak_rss_growth_mb']:.0f} MB (process {result['peak_rss_mb']:.0f}"
                    f" MB), connection {result['state']}",
                    flush=True,
                )
                if result.get("trace_mb"):
                    print(f"  memory after every 20th batch (MB): {result['trace_mb']}")  # noqa: T201
        finally:
            stop(sandbox)
    return 0


if __name__ == "__main__":
    sys.exit(main())
