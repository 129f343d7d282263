"""The parser result contract: JSON output keeps amounts exact and dates ISO."""

import datetime
import json
from decimal import Decimal

from account_bank_statement_import.parsers.errors import ParseError
from account_bank_statement_import.parsers.result import ParsedStatement, Transaction


def test_statement_to_json_is_exact():
    statement = ParsedStatement(
        account_number="NL91ABNA0417164300",
        currency="EUR",
        balance_start=Decimal("0.10"),
        balance_end=Decimal("0.30"),
        transactions=[
            Transaction(date=datetime.date(2025, 2, 28), amount=Decimal("0.20"),
                        raw={"codes": ("PMNT", "RCDT")}),
        ],
    )
    data = json.loads(json.dumps(statement.to_json()))
    assert data["balance_start"] == "0.10"
    assert data["balance_end"] == "0.30"
    assert data["transactions"][0]["amount"] == "0.20"
    assert data["transactions"][0]["date"] == "2025-02-28"
    assert data["transactions"][0]["raw"] == {"codes": ["PMNT", "RCDT"]}


def test_parse_error_names_file_and_place():
    error = ParseError("'31.02.2025' is not a date", where="line 12", filename="bank.csv")
    assert str(error) == "bank.csv, line 12: '31.02.2025' is not a date"
    assert str(ParseError("empty file")) == "empty file"
