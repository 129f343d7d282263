"""Benchmark of the statement import: seconds, lines/s, memory and queries per line.

    python3 tests/benchmarks/bench_import.py [--sizes 1000,10000] [--prefill 50000]
                                             [--formats camt,csv] [--orm 1000] [--keep]

From the repository root, with any ``python3``: it finds Odoo and PostgreSQL like the test
command (``tests/harness``), copies the template database, generates statements with
``/work/shared/bench/gen_statements.py`` (or ``--generator``) and runs the scenarios inside
Odoo (``--inner``, in Odoo's Python). Every scenario uses a fresh bank journal and commits,
as a user's import would:

- first import of N transactions into an empty journal, then the same file again
  (everything is skipped);
- the same into a journal that already holds ``--prefill`` entries in the same year
  (pre-filled through the builder, not timed);
- ``--foreign N``: N synthetic transactions into a journal in another currency than the
  company's (USD, rates on every month: amounts converted per line), first import and
  re-import;
- plain ORM ``account.bank.statement.line.create`` of ``--orm`` lines, for comparison.

Figures are printed, never asserted: speed goals are not tests.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_GENERATOR = Path("/work/shared/bench/gen_statements.py")


# ----------------------------------------------------------------------------------------
# Outer part: stdlib only, prepares a database and runs the inner part in Odoo's Python.
# ----------------------------------------------------------------------------------------

def outer(args):
    """Prepare the database and the files, then run the scenarios inside Odoo."""
    sys.path.insert(0, str(REPO))
    from tests.harness import database, locate, pg  # noqa: PLC0415

    odoo = locate.find_odoo()
    sizes = [int(n) for n in args.sizes.split(",") if n]
    formats = [f for f in args.formats.split(",") if f]
    with tempfile.TemporaryDirectory(prefix="bench_import_") as folder:
        for n in sorted(set(sizes)) if formats else ():
            subprocess.run(
                [sys.executable, str(args.generator), "--n", str(n), "--out", folder,
                 "--formats", ",".join(formats)],
                check=True, stdout=subprocess.DEVNULL,
            )
        with pg.postgres(database.cache_dir()) as server:
            template = database.ensure_template(odoo, server, log=print)
            db_name = f"bankfeeds_bench_{os.getpid()}"
            database.clone(server, template, db_name)
            conf = database.write_config(odoo, server, db_name, {"log_level": "warn"})
            try:
                cmd = [odoo.python, str(Path(__file__).resolve()), "--inner",
                       "--config", str(conf), "--db", db_name, "--files", folder,
                       "--sizes", args.sizes, "--formats", args.formats,
                       "--prefill", str(args.prefill), "--orm", str(args.orm),
                       "--foreign", str(args.foreign)]
                if args.profile:
                    cmd += ["--profile", args.profile]
                return subprocess.run(cmd, env=odoo.env([REPO]), check=False).returncode
            finally:
                if args.keep:
                    print(f"kept database {db_name}")
                else:
                    database.drop(server, db_name)


# ----------------------------------------------------------------------------------------
# Inner part: runs in Odoo's Python with the registry loaded.
# ----------------------------------------------------------------------------------------

class Scenario:
    """Time, peak memory (RSS high-water mark growth) and queries of one import."""

    def __init__(self, label, lines_expected):
        self.label = label
        self.lines_expected = lines_expected

    def __enter__(self):
        from odoo import sql_db  # noqa: PLC0415

        self._sql_db = sql_db
        self.queries0 = sql_db.sql_counter
        _reset_peak_rss()
        self.rss0 = _rss_mb()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self.queries = self._sql_db.sql_counter - self.queries0
        self.peak_mb = _peak_rss_mb() - self.rss0
        return False

    def report(self, created, skipped):
        """Print one line of figures."""
        per_line = max(self.lines_expected, 1)
        print(json.dumps({
            "scenario": self.label,
            "created": created,
            "skipped": skipped,
            "seconds": round(self.seconds, 2),
            "lines_per_s": round(per_line / self.seconds, 1) if self.seconds else None,
            "ms_per_line": round(1000 * self.seconds / per_line, 2),
            "queries_per_line": round(self.queries / per_line, 2),
            "peak_rss_growth_mb": round(self.peak_mb, 1),
        }), flush=True)


def _rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak_rss():
    """Reset the kernel's RSS high-water mark (Linux), so peaks are per scenario."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def inner(args):
    """Run every scenario against the prepared database."""
    import odoo  # noqa: PLC0415
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415
    from odoo.modules.registry import Registry  # noqa: PLC0415

    odoo.tools.config.parse_config(["-c", args.config])
    registry = Registry(args.db)
    from odoo.addons.account_bank_statement_import import parsers  # noqa: PLC0415

    files = Path(args.files)
    sizes = [int(n) for n in args.sizes.split(",") if n]
    formats = [f for f in args.formats.split(",") if f]
    counter = iter(range(1, 10_000))

    def new_journal(env):
        number = next(counter)
        return env["account.journal"].create({
            "name": f"Bench {number}", "code": f"BN{number}", "type": "bank",
        })

    def with_env(function):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return function(env)

    def grant(env):
        env.ref("base.user_root").group_ids = [(4, env.ref("account.group_account_user").id)]
        # The generated files are in EUR: make it the company's currency (an empty
        # database, no entry yet), so the journals are plain company-currency journals.
        eur = env.ref("base.EUR")
        eur.active = True
        env.company.currency_id = eur

    with_env(grant)
    prefilled = None
    if args.prefill:
        def prefill(env):
            journal = new_journal(env)
            statements = _synthetic_statements(args.prefill)
            with Scenario(f"prefill {args.prefill} (builder, synthetic)", args.prefill) as sc:
                result = env["account.bank.statement.line.builder"]._import_statements(
                    journal, statements, source="prefill")
                env.cr.commit()
            sc.report(len(result["lines"]), result["skipped"])
            return journal.id
        prefilled = with_env(prefill)

    for n in sizes:
        for fmt in formats:
            name = {"camt": f"camt053_{n}.xml", "csv": f"csv_{n}.csv",
                    "ofx": f"ofx_{n}.ofx"}[fmt]
            data = (files / name).read_bytes()
            t0 = time.perf_counter()
            statements = parsers.parse_file(data, filename=name)
            parse_s = time.perf_counter() - t0
            print(json.dumps({"scenario": f"parse {name}", "seconds": round(parse_s, 2)}))
            targets = [("empty journal", None)]
            if prefilled:
                targets.append((f"journal with {args.prefill} entries", prefilled))
            for target, journal_id in targets:
                def scenario(env, target=target, journal_id=journal_id, fmt=fmt, n=n,
                             statements=statements):
                    if journal_id:
                        # a second journal would not share the sequence: import into the
                        # pre-filled one under another source prefix, so nothing is skipped
                        journal = env["account.journal"].browse(journal_id)
                        source = f"{fmt}{n}"
                    else:
                        journal = new_journal(env)
                        source = fmt
                    builder = env["account.bank.statement.line.builder"]
                    for attempt in ("first import", "re-import"):
                        with Scenario(f"{fmt} {n} {attempt}, {target}", n) as sc:
                            if args.profile and attempt == "first import":
                                result = _profiled(args.profile, builder, journal,
                                                   statements, source)
                            else:
                                result = builder._import_statements(
                                    journal, statements, source=source)
                            env.cr.commit()
                        sc.report(len(result["lines"]), result["skipped"])
                        env.invalidate_all()
                with_env(scenario)

    if args.foreign:
        def foreign(env):
            usd = env.ref("base.USD")
            usd.active = True
            env["res.currency.rate"].create([
                {"currency_id": usd.id, "company_id": env.company.id,
                 "name": f"2025-{month:02d}-01", "rate": 1 + month / 100}
                for month in range(1, 13)
            ])
            journal = new_journal(env)
            journal.currency_id = usd
            builder = env["account.bank.statement.line.builder"]
            print(json.dumps({"foreign journal fast path": builder._fast_path_allowed(
                journal)}))
            statements = _synthetic_statements(args.foreign)
            for attempt in ("first import", "re-import"):
                label = f"synthetic {args.foreign} {attempt}, USD journal (EUR company)"
                with Scenario(label, args.foreign) as sc:
                    result = builder._import_statements(journal, statements, source="fx")
                    env.cr.commit()
                sc.report(len(result["lines"]), result["skipped"])
                env.invalidate_all()
        with_env(foreign)

    if args.orm:
        def orm(env):
            journal = new_journal(env)
            statements = _synthetic_statements(args.orm)
            vals = [{"journal_id": journal.id, "date": t.date, "amount": float(t.amount),
                     "payment_ref": t.label} for t in statements[0].transactions]
            with Scenario(f"plain ORM create {args.orm} (one call)", args.orm) as sc:
                env["account.bank.statement.line"].create(vals)
                env.cr.commit()
            sc.report(args.orm, 0)
        with_env(orm)
    return 0


def _profiled(path, builder, journal, statements, source):
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    profile = cProfile.Profile()
    result = profile.runcall(builder._import_statements, journal, statements, source=source)
    profile.dump_stats(path)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    return result


def _synthetic_statements(n):
    """``n`` transactions over 2025 (for pre-filling and the ORM comparison)."""
    import datetime  # noqa: PLC0415
    from decimal import Decimal  # noqa: PLC0415

    from odoo.addons.account_bank_statement_import.parsers.result import (  # noqa: PLC0415
        ParsedStatement,
        Transaction,
    )

    start = datetime.date(2025, 1, 1)
    txs = [
        Transaction(date=start + datetime.timedelta(days=i * 365 // n),
                    amount=Decimal(((i * 7919) % 20000) - 10000) / 100,
                    label=f"Synthetic {i}", unique_import_id=f"S{i}")
        for i in range(n)
    ]
    return [ParsedStatement(name=f"Synthetic {n}", transactions=txs)]


def main():
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--formats", default="camt,csv")
    parser.add_argument("--prefill", type=int, default=50000)
    parser.add_argument("--orm", type=int, default=1000)
    parser.add_argument("--foreign", type=int, default=0,
                        help="transactions imported into a foreign-currency journal")
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--profile", help="write a cProfile of each first import here")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return inner(args) if args.inner else outer(args)


if __name__ == "__main__":
    sys.exit(main())
