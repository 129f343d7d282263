"""Benchmark the statement parsers against raw parsing floors.

Generates synthetic statements with /work/shared/bench/gen_statements.py (run
from that path, never copied here), then, for every format and size, runs each
measurement in a fresh subprocess and prints seconds, transactions per second,
peak memory (growth of the resident high-water mark, reset just before
parsing, so C allocations by lxml count too), split into "held" (what the
results take: resident memory after the parse with the results still alive)
and "work" (the rest of the peak: the parser's working memory, which must stay
flat as files grow), and the time as a multiple of the floor's (in CPU
seconds, steadier than wall-clock on a busy machine). Every figure is the run
with the least CPU time out of ``--repeat`` fresh processes (3 by default).
For CSV, ``ours+map`` is the parse with the column mapping given (detected
beforehand, outside the timing), as on every import after the first.

Floors: CAMT = lxml iterparse reading amount/date/ref per entry and clearing;
CSV = ``csv.reader`` over the decoded text, then amount (Decimal), date and
ref per row (counting rows alone would extract nothing); OFX = ``ofxparse``.
Every floor keeps its per-entry tuples in a list, as a parser keeps results.
A parser or floor library that is missing prints "n/a".

QIF, MT940, CODA and XLSX files are written from the generator's CSV (the same
transactions; see ``derived_formats.py``). They have no raw library to compare
with: their figures show how time and memory grow with the file.

Usage::

    python tests/benchmarks/bench_parsers.py [--sizes 1000,10000,100000]
        [--formats camt,ofx,csv,qif,mt940,coda,xlsx] [--generator PATH]
        [--keep DIR] [--repeat N]
"""

import argparse
import gc
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_GENERATOR = pathlib.Path("/work/shared/bench/gen_statements.py")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from derived_formats import WRITERS, read_csv  # noqa: E402

FILE_NAMES = {"camt": "camt053_{n}.xml", "ofx": "ofx_{n}.ofx", "csv": "csv_{n}.csv"}
# Formats the generator does not write: derived from its CSV (same transactions).
FILE_NAMES.update((fmt, name) for fmt, (name, _writer) in WRITERS.items())
FLOORS = ("camt", "csv", "ofx")


# ------------------------------------------------------------------ in the child


def _floor_camt(data):
    import io

    from lxml import etree

    rows = []
    for _event, elem in etree.iterparse(io.BytesIO(data), tag="{*}Ntry"):
        ns = elem.tag[: elem.tag.index("}") + 1]
        rows.append(
            (
                elem.findtext(f"{ns}Amt"),
                elem.findtext(f"{ns}BookgDt/{ns}Dt"),
                elem.findtext(f"{ns}AcctSvcrRef"),
            )
        )
        elem.clear()
        while elem.getprevious() is not None:
            del elem.getparent()[0]
    return len(rows), rows


def _floor_csv(data):
    """csv.reader, then amount (Decimal), date and reference of every row.

    Counting rows alone would extract nothing; this is the CSV twin of the
    CAMT floor (amount/date/ref per entry, kept in a list).
    """
    import csv
    import datetime
    import io
    from decimal import Decimal

    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    header = next(reader)
    amount, date, ref = (header.index(name) for name in ("Amount", "Date", "Reference"))
    rows = [
        (Decimal(row[amount]), datetime.date.fromisoformat(row[date]), row[ref]) for row in reader
    ]
    return len(rows), rows


def _floor_ofx(data):
    import io

    import ofxparse

    ofx = ofxparse.OfxParser.parse(io.BytesIO(data))
    return sum(len(account.statement.transactions) for account in ofx.accounts), ofx


def _ours(fmt, data):
    sys.path.insert(0, str(REPO))
    from account_bank_statement_import.parsers import parse_file

    code = "csv" if fmt == "csv" else fmt
    # the 100,000-line files exceed the default 50 MB upload limit
    statements = parse_file(data, format=code, max_size=None)
    return sum(len(stmt.transactions) for stmt in statements), statements


def _prepare(kind, fmt, path):
    """Import what the measurement needs, before the baseline is taken."""
    if kind == "ours+map":
        # CSV with the mapping given (as saved on the journal after the first
        # import). The driver detected it in its own process and wrote it
        # beside the file, so that detection raises neither the time nor the
        # memory high-water mark measured here.
        sys.path.insert(0, str(REPO))
        from account_bank_statement_import.parsers import csv_format

        mapping = json.loads(pathlib.Path(f"{path}.mapping.json").read_text())

        def run(data):
            statements = csv_format.parse(data, mapping=mapping)
            return sum(len(stmt.transactions) for stmt in statements), statements

        return run
    if kind == "ours":
        sys.path.insert(0, str(REPO))
        from account_bank_statement_import import parsers

        if fmt not in parsers.available_formats():
            raise ImportError(f"no {fmt} parser yet")
        parsers._adapter(fmt)
        return lambda data: _ours(fmt, data)
    floor = {"camt": _floor_camt, "csv": _floor_csv, "ofx": _floor_ofx}[fmt]
    if fmt == "camt":
        import lxml.etree  # noqa: F401
    elif fmt == "ofx":
        import ofxparse  # noqa: F401
    return floor


def _status_kb(field):
    """A memory figure of this process from /proc/self/status (Linux), in KB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak():
    """Reset the resident high-water mark (Linux >= 4.0), so that the peak
    measured is the parse's own and not the file read's or an import's.
    Returns False where the kernel refuses it; the peak is then a maximum
    over the whole process, an overestimate."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def measure(kind, fmt, path):
    """Run one measurement; print a JSON line (this runs in a subprocess)."""
    try:
        run = _prepare(kind, fmt, path)
    except ImportError as error:
        print(json.dumps({"status": "n/a", "reason": str(error)}))
        return
    data = pathlib.Path(path).read_bytes()
    gc.collect()
    _reset_peak()
    before = _status_kb("VmRSS")
    start = time.perf_counter()
    cpu_start = time.process_time()
    count, results = run(data)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak = _status_kb("VmHWM") - before
    gc.collect()
    held = _status_kb("VmRSS") - before
    del results
    print(
        json.dumps(
            {
                "status": "ok",
                "count": count,
                "seconds": seconds,
                "cpu": cpu,
                "peak_mb": max(peak, 0) / 1024,
                # what the results themselves take (they are still alive), and
                # the rest of the peak: the parser's working memory
                "held_mb": max(held, 0) / 1024,
                "work_mb": max(peak - held, 0) / 1024,
            }
        )
    )


# ------------------------------------------------------------------ the driver


def generate(generator, out, sizes, formats):
    derived = [fmt for fmt in formats if fmt in WRITERS]
    formats = [fmt for fmt in formats if fmt not in WRITERS]
    if derived and "csv" not in formats:
        formats.append("csv")
    if not generator.exists():
        sys.exit(
            f"error: the statement generator {generator} is missing; it is "
            "provided in /work/shared/bench (pass --generator PATH)"
        )
    command = [sys.executable, str(generator), "--out", str(out), "--formats", ",".join(formats)]
    for size in sizes:
        command += ["--n", str(size)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    for size in sizes:
        if derived:
            opening, rows = read_csv(out / FILE_NAMES["csv"].format(n=size))
        for fmt in derived:
            name, writer = WRITERS[fmt]
            (out / name.format(n=size)).write_bytes(writer(rows, opening))


def write_mapping(path):
    """Detect the CSV mapping of ``path`` here, for the ``ours+map`` child."""
    sys.path.insert(0, str(REPO))
    from account_bank_statement_import.parsers import sheet

    mapping = sheet.detect(pathlib.Path(path).read_bytes())
    pathlib.Path(f"{path}.mapping.json").write_text(json.dumps(mapping.to_dict()))


def run_best(kind, fmt, path, repeat):
    """The run with the least CPU time out of ``repeat`` fresh processes (the
    usual way to take scheduling noise out of a timing; every kind, floors
    included, is measured the same way). Memory figures are those of that
    run: they hardly vary between runs."""
    results = [run_child(kind, fmt, path) for _index in range(repeat)]
    done = [res for res in results if res.get("status") == "ok"]
    return min(done, key=lambda res: res["cpu"]) if done else results[0]


def run_child(kind, fmt, path):
    result = subprocess.run(
        [sys.executable, __file__, "--measure", kind, fmt, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        return {"status": "error", "reason": result.stderr.strip().splitlines()[-1:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def fmt_row(fmt, size, kind, res, floor=None):
    if res["status"] != "ok":
        blank = f"{'n/a':>9} {'n/a':>11} {'n/a':>9} {'':>8} {'':>8} {'':>7}"
        return f"{fmt:<5} {size:>8,} {kind:<8} {blank}  " + str(res.get("reason", ""))
    rate = res["count"] / res["seconds"] if res["seconds"] else float("inf")
    ratio = ""
    if floor and floor.get("status") == "ok" and floor["cpu"]:
        # CPU time: on a shared machine wall-clock ratios swing with the load.
        ratio = f"{res['cpu'] / floor['cpu']:.2f}x"
    return (
        f"{fmt:<5} {size:>8,} {kind:<8} {res['seconds']:>9.3f} {rate:>11,.0f} "
        f"{res['peak_mb']:>9.1f} {res['held_mb']:>8.1f} {res['work_mb']:>8.1f} {ratio:>7}  "
        f"count={res['count']}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--formats", default="camt,ofx,csv,qif,mt940,coda,xlsx")
    parser.add_argument("--generator", default=str(DEFAULT_GENERATOR))
    parser.add_argument("--keep", help="directory for the generated files (kept)")
    parser.add_argument(
        "--ofx-floor-max",
        type=int,
        default=20_000,
        help="skip the ofxparse floor above this size (it is quadratic: "
        "about 45 s at 10,000 lines, over an hour at 100,000)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="fresh processes per measurement; the one with the least CPU time is shown",
    )
    parser.add_argument(
        "--measure", nargs=3, metavar=("KIND", "FORMAT", "PATH"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.measure:
        measure(*args.measure)
        return 0
    sizes = [int(size) for size in args.sizes.split(",")]
    formats = [code.strip() for code in args.formats.split(",")]
    unknown = set(formats) - set(FILE_NAMES)
    if unknown:
        parser.error(f"no generator output for {sorted(unknown)}")
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(args.keep or tmp)
        out.mkdir(parents=True, exist_ok=True)
        generate(pathlib.Path(args.generator), out, sizes, formats)
        print(
            f"{'fmt':<5} {'n':>8} {'parser':<8} {'seconds':>9} {'tx/s':>11} "
            f"{'peak MB':>9} {'held MB':>8} {'work MB':>8} {'/floor':>7}"
        )
        for fmt in formats:
            for size in sizes:
                path = out / FILE_NAMES[fmt].format(n=size)
                mb = os.path.getsize(path) / 1e6
                if fmt not in FLOORS:
                    floor = {"status": "n/a", "reason": "no raw parsing library to compare"}
                elif fmt == "ofx" and size > args.ofx_floor_max:
                    floor = {"status": "n/a", "reason": "skipped (--ofx-floor-max)"}
                else:
                    floor = run_best("floor", fmt, path, args.repeat)
                kinds = ["ours"]
                if fmt == "csv":
                    kinds.append("ours+map")
                    write_mapping(path)
                for kind in kinds:
                    res = run_best(kind, fmt, path, args.repeat)
                    print(fmt_row(fmt, size, kind, res, floor))
                print(fmt_row(fmt, size, "floor", floor), flush=True)
                print(f"{'':<5} {'':>8} file {mb:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
