"""Benchmark: this project's OFX parser versus ofxparse (prints figures).

Not a test (no timing assertions). Usage, from the repository root::

    python3 /work/shared/bench/gen_statements.py --n 1000 --n 10000 \\
        --out /tmp/ofxbench --formats ofx
    python3 /work/shared/bench/gen_statements.py --n 1000 --n 10000 \\
        --out /tmp/ofxbench2 --formats ofx --ofx-version 2
    PYTHONPATH=. python tests/bench_parser_ofx.py /tmp/ofxbench/ofx_*.ofx \\
        /tmp/ofxbench2/ofx_*.ofx

Prints the median CPU seconds of 3 runs per file and parser (ofxparse runs
once above 2,000 transactions: it is quadratic).
"""

import io
import statistics
import sys
import time

from account_bank_statement_import.parsers import ofx


def _time(function, runs):
    times, result = [], None
    for _run in range(runs):
        start = time.process_time()
        try:
            result = function()
        except Exception as error:  # noqa: BLE001 - report any library failure
            result = f"{type(error).__name__}: {str(error)[:60]}"
        times.append(time.process_time() - start)
    return statistics.median(times), result


def main(paths):
    try:
        import ofxparse  # noqa: PLC0415 - optional, only for the comparison
    except ImportError:
        ofxparse = None
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        seconds, result = _time(lambda data=data: ofx.parse(data), 3)
        count = sum(len(st.transactions) for st in result)
        print(f"{path}: ours {seconds:.3f} s ({count} transactions)")  # noqa: T201
        if ofxparse is not None:
            runs = 1 if count > 2000 else 3
            seconds, result = _time(
                lambda data=data: ofxparse.OfxParser.parse(io.BytesIO(data)), runs
            )
            if not isinstance(result, str):
                result = f"{len(result.account.statement.transactions)} transactions"
            print(f"{path}: ofxparse {seconds:.3f} s ({result})")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1:])
