"""Command line: parse a statement file and print the result as JSON.

Usage::

    python -m account_bank_statement_import.parsers FILE [--format F]
        [--split-batches] [--mapping JSON_FILE] [--option key=value ...]

Prints ``{"format": ..., "statements": [...]}`` on stdout. On a bad file the
error goes to stderr (no traceback) and the exit code is 1.
"""

# A command-line tool writes its result and its errors with print.
# pylint: disable=print-used
import argparse
import json
import os
import sys

from . import FORMATS, detect_format, parse_file
from .errors import ParseError, _lt


def _option_value(text):
    """Read ``--option`` values as JSON when they are JSON (true, 3, "x")."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _mapping_option(path):
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as error:
        raise ParseError(
            _lt("cannot read the mapping: %(error)s", error=error),
            filename=path,
        ) from None
    try:
        from .sheet import SheetMapping
    except ImportError:
        return data  # the CSV parser is not there yet: pass the plain dict
    try:
        return SheetMapping.from_dict(data)
    except (TypeError, ValueError, KeyError) as error:
        raise ParseError(_lt("invalid mapping: %(error)s", error=error), filename=path) from None


def build_parser():
    """Return the ``argparse`` parser of the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m account_bank_statement_import.parsers",
        description="Parse a bank statement file and print it as JSON.",
    )
    parser.add_argument("file", help="statement file (or ZIP of statement files)")
    parser.add_argument("--format", choices=sorted(FORMATS), help="skip detection")
    parser.add_argument(
        "--split-batches",
        action="store_true",
        help="CAMT: one transaction per TxDtls of a batch booking",
    )
    parser.add_argument("--mapping", help="CSV/XLSX column mapping (JSON file)")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra parser option (value read as JSON when possible)",
    )
    return parser


def main(argv=None):
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        with open(args.file, "rb") as handle:
            data = handle.read()
    except OSError as error:
        print(f"error: {args.file}: {error.strerror or error}", file=sys.stderr)
        return 1
    filename = os.path.basename(args.file)
    options = {}
    try:
        for item in args.option:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ParseError(_lt("--option needs KEY=VALUE, not %(item)r", item=item))
            options[key.strip().replace("-", "_")] = _option_value(value)
        if args.split_batches:
            options["split_batches"] = True
        if args.mapping:
            options["mapping"] = _mapping_option(args.mapping)
        code = args.format or detect_format(data, filename)
        statements = parse_file(data, filename=filename, format=code, **options)
    except ParseError as error:
        if not error.filename:
            error.filename = filename
        print(f"error: {error}", file=sys.stderr)
        return 1
    except TypeError as error:
        # An option the chosen parser does not take.
        print(f"error: {filename}: invalid option: {error}", file=sys.stderr)
        return 1
    json.dump(
        {"format": code, "statements": [stmt.to_json() for stmt in statements]},
        sys.stdout,
        ensure_ascii=False,
        indent=2,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
