"""The benchmark's derived statement files parse back to their transactions.

``tests/benchmarks/derived_formats.py`` writes the generator's CSV again as
QIF, MT940, CODA and XLSX; a benchmark of files that do not parse (or parse
to other amounts) would measure nothing.
"""

import datetime
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from account_bank_statement_import.parsers import parse_file

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
import derived_formats  # noqa: E402

ROWS = [
    {
        "Date": "2025-01-01",
        "Value Date": "2025-01-01",
        "Label": "Payment invoice INV/2025/1",
        "Amount": "1234.56",
        "Currency": "EUR",
        "Balance": "1334.56",
        "Partner Name": "Société Générale",
        "Bank Account": "FR7630006000011234567890189",
        "Transaction ID": "ABNA2025010100000001",
        "Reference": "E2E-1",
    },
    {
        "Date": "2025-01-03",
        "Value Date": "2025-01-04",
        "Label": "Card payment",
        "Amount": "-0.05",
        "Currency": "EUR",
        "Balance": "1334.51",
        "Partner Name": "Shop",
        "Bank Account": "NL91ABNA0417164300",
        "Transaction ID": "ABNA2025010300000002",
        "Reference": "E2E-2",
    },
]


@pytest.mark.parametrize("fmt", sorted(derived_formats.WRITERS))
def test_derived_file_parses_to_its_transactions(fmt):
    _name, writer = derived_formats.WRITERS[fmt]
    statements = parse_file(writer(ROWS, Decimal("100.00")), format=fmt)
    transactions = [tx for statement in statements for tx in statement.transactions]
    assert [(tx.date, tx.amount) for tx in transactions] == [
        (datetime.date(2025, 1, 1), Decimal("1234.56")),
        (datetime.date(2025, 1, 3), Decimal("-0.05")),
    ]
    assert transactions[0].label == "Payment invoice INV/2025/1"
    if fmt != "qif":  # QIF has no balances
        assert statements[0].balance_start == Decimal("100.00")
        assert statements[-1].balance_end == Decimal("1334.51")
