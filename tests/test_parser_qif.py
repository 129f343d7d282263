"""Pure tests of the QIF parser (no Odoo): corpus samples and malformed input.

Expected values from the shared corpus MANIFEST.tsv. Convention note: OCA's
importer sets an implicit opening balance of 0 and a closing balance equal to
the sum of the lines; QIF carries no balance, so we leave both ``None`` and
check the sum instead.
"""

import datetime
from decimal import Decimal

import pytest

from account_bank_statement_import.parsers import qif
from account_bank_statement_import.parsers.errors import ParseError
from tests.corpus import CORPUS as SHARED_CORPUS
from tests.corpus import corpus_bytes

CORPUS = SHARED_CORPUS / "qif"
D = Decimal


def _sample(name):
    return corpus_bytes(f"qif/{name}")


@pytest.mark.parametrize(
    ("name", "order"),
    [
        ("bank-statement-import__test_qif.qif", "mdy"),  # 8/15/13
        ("bank-statement-import__test_qif_dmy.qif", "dmy"),  # 15/8/13
        ("bank-statement-import__test_qif_ymd.qif", "ymd"),  # 13/3/3
    ],
)
def test_oca_samples_date_order_inferred(name, order):
    (statement,) = qif.parse(_sample(name))
    assert statement.raw["date_order"] == order
    assert len(statement.transactions) == 5
    first = statement.transactions[0]
    assert first.date == datetime.date(2013, 8, 12)
    assert first.amount == D("-1000.00")  # written -1,000.00
    assert first.label == first.partner_name == "Delta PC"
    assert first.unique_import_id is None
    total = sum((tx.amount for tx in statement.transactions), D(0))
    assert total == D("-1896.09")
    assert statement.balance_start is None and statement.balance_end is None
    assert statement.transactions[2].partner_name == "Epic Technologies"
    assert statement.transactions[2].date == datetime.date(2013, 3, 3)


def test_oca_dmy_sample_with_explicit_option():
    data = _sample("bank-statement-import__test_qif_dmy.qif")
    (statement,) = qif.parse(data, date_order="dmy")
    assert statement.transactions[1].date == datetime.date(2013, 8, 15)
    # Forcing an order some date cannot have names that line.
    with pytest.raises(ParseError) as info:
        qif.parse(data, date_order="mdy")
    assert info.value.where == "line 6"


def test_quiffen_test_file():
    (statement,) = qif.parse(_sample("quiffen__test.qif"))
    # 6 bank transactions; the investment one and the lists are skipped.
    assert len(statement.transactions) == 6
    first = statement.transactions[0]
    assert (first.date, first.amount, first.label) == (
        datetime.date(2020, 2, 10),
        D("0.00"),
        "Opening Balance",
    )
    assert first.raw["category"] == "[TestExport]"
    assert first.raw["opening_balance"] is True
    mobile = statement.transactions[1]
    assert [s["amount"] for s in mobile.raw["splits"]] == ["-15.00", "82.50"]
    assert mobile.raw["splits"][0]["memo"] == "sign up credit"
    assert "Split: Bills:Cell Phone/Test class sign up credit -15.00" in (
        mobile.narration
    )
    walmart = statement.transactions[4]
    assert (walmart.ref, walmart.label, walmart.partner_name) == (
        "123",
        "non split transaction",
        "Walmart",
    )
    amazon = statement.transactions[5]
    assert len(amazon.raw["splits"]) == 4
    assert amazon.raw["splits"][0]["date"] == "2020-01-10"
    assert amazon.raw["cleared"] == "*"


def test_quiffen_split_to_account():
    (statement,) = qif.parse(_sample("quiffen__test_split.qif"))
    (tx,) = statement.transactions
    assert (tx.date, tx.amount, tx.label) == (
        datetime.date(2000, 1, 1),
        D("-10.00"),
        "A Payee",
    )
    assert tx.raw["splits"] == [
        {"category": "[An Account]", "amount": "-9.00"},
        {"category": "A Category", "amount": "-1.00"},
    ]
    # 1/1 reads the same either way, so the order stays ambiguous.
    assert statement.raw["date_order_ambiguous"] == ["mdy", "dmy"]


def test_quiffen_iso_dates_and_leading_empty_record():
    (statement,) = qif.parse(
        _sample("quiffen__test_transaction_before_account_definition_1.qif")
    )
    assert [(tx.date, tx.amount) for tx in statement.transactions] == [
        (datetime.date(2022, 9, 23), D("-184.8")),
        (datetime.date(2022, 9, 8), D("-13.16")),
    ]
    assert statement.transactions[0].label == "FIRST TRANSACTION"


def test_quiffen_empty_and_investment_only():
    with pytest.raises(ParseError, match="empty"):
        qif.parse(_sample("quiffen__empty.qif"))
    # Only an investment account: not a bank statement.
    with pytest.raises(ParseError, match="no bank"):
        qif.parse(_sample("quiffen__test_unknown_account_type.qif"))


def test_sniff():
    for path in sorted(CORPUS.glob("*.qif")):
        if path.stat().st_size:
            assert qif.sniff(path.read_bytes()), path.name
    assert not qif.sniff(b"OFXHEADER:100\r\n")
    assert not qif.sniff(b"Date;Amount\n")


# --------------------------------------------------------------------------- synthetic


def _qif(*records, header="!Type:Bank"):
    return ("\n".join([header, *records]) + "\n").encode()


@pytest.mark.parametrize(
    ("dates", "expected", "order"),
    [
        (["1/ 2/98", "12/31/99"], [(1998, 1, 2), (1999, 12, 31)], "mdy"),
        (["01/02'05", "31/12'05"], [(2005, 2, 1), (2005, 12, 31)], "dmy"),
        (["2024-01-31", "2024.02.29"], [(2024, 1, 31), (2024, 2, 29)], "ymd"),
        (["3.4.2024", "25.4.2024"], [(2024, 4, 3), (2024, 4, 25)], "dmy"),
        (["4-3-24", "4-25-24"], [(2024, 4, 3), (2024, 4, 25)], "mdy"),
    ],
)
def test_date_styles_resolved_for_whole_file(dates, expected, order):
    records = [f"D{date}\nT1.00\n^" for date in dates]
    (statement,) = qif.parse(_qif(*records))
    assert [tx.date for tx in statement.transactions] == [
        datetime.date(*ymd) for ymd in expected
    ]
    assert statement.raw["date_order"] == order


def test_ambiguous_dates_default_mdy_and_option():
    data = _qif("D01/02/2024\nT1.00\n^", "D03/04/2024\nT2.00\n^")
    (statement,) = qif.parse(data)
    assert statement.transactions[0].date == datetime.date(2024, 1, 2)
    assert statement.raw["date_order_ambiguous"] == ["mdy", "dmy"]
    (statement,) = qif.parse(data, date_order="dmy")
    assert statement.transactions[0].date == datetime.date(2024, 2, 1)


def test_european_amounts_and_thousands():
    data = _qif(
        "D1/2/2024\nT-1.234,56\nPBäcker\n^", "D1/3/2024\nT10,5\n^", "D1/4/2024\nT7\n^"
    )
    (statement,) = qif.parse(data)
    assert [tx.amount for tx in statement.transactions] == [
        D("-1234.56"),
        D("10.5"),
        D("7"),
    ]
    assert statement.raw["decimal_separator"] == ","
    assert statement.transactions[0].partner_name == "Bäcker"


def test_us_thousands():
    (statement,) = qif.parse(_qif("D1/2/2024\nT1,234,567.89\n^"))
    assert statement.transactions[0].amount == D("1234567.89")


def test_several_accounts_give_several_statements():
    data = (
        b"!Account\nNChecking\nTBank\n^\n!Type:Bank\nD1/2/2024\nT-5.00\nPShop\n^\n"
        b"!Account\nNVisa\nTCCard\n^\n!Type:CCard\nD1/3/2024\nT-7.00\n^\n"
        b"D1/4/2024\nT-8.00\n^\n"
        b"!Account\nNChecking\nTBank\n^\n!Type:Bank\nD1/5/2024\nT9.00\n^\n"
    )
    checking, visa = qif.parse(data)
    assert (checking.raw["account_name"], checking.raw["account_type"]) == (
        "Checking",
        "Bank",
    )
    assert [tx.amount for tx in checking.transactions] == [D("-5.00"), D("9.00")]
    assert visa.raw["account_name"] == "Visa"
    assert [tx.amount for tx in visa.transactions] == [D("-7.00"), D("-8.00")]


def test_cash_and_other_types_address_and_cp1252():
    data = "!Type:Oth L\nD1/2/2024\nT-5.00\nAStreet 1\nA1000 Brüssel\nMmemo\n^\n"
    (statement,) = qif.parse(data.encode("cp1252"))
    tx = statement.transactions[0]
    assert statement.raw["account_type"] == "Oth L"
    assert tx.raw["address"] == ["Street 1", "1000 Brüssel"]
    assert tx.narration == "Street 1, 1000 Brüssel"
    assert tx.label == "memo"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"hello\n", "not a QIF"),
        (_qif("D2/31/2024\nT1.00\n^"), "invalid date"),  # Feb 31 in any order
        (_qif("D1/2/2024\nT1.00\n^", "D13/13/2024\nT1.00\n^"), "line 5"),
        (_qif("Dyesterday\nT1.00\n^"), "invalid date"),
        (_qif("D1/2/2024\nTabc\n^"), "invalid amount"),
        (_qif("D1/2/2024\nT1,23,4.00\n^"), "invalid amount"),
        (_qif("D1/2/2024\nPno amount\n^"), "without amount"),
        (_qif("T1.00\n^"), "without date"),
        (_qif("D1/2/2024\nT1.00\nT2.00\n^"), "twice"),
        (b"D1/2/2024\nT1.00\n^\n", "not a QIF"),
        (_qif("D1/2/2024\nT1.00", header="!Type:Invst"), "no bank"),
    ],
)
def test_malformed(data, fragment):
    with pytest.raises(ParseError) as info:
        qif.parse(data)
    assert fragment in str(info.value)


def test_truncated_last_record_is_kept():
    (statement,) = qif.parse(b"!Type:Bank\nD1/2/2024\nT1.00")
    assert statement.transactions[0].amount == D("1.00")


def test_bad_options():
    with pytest.raises(ParseError):
        qif.parse(_qif("D1/2/2024\nT1\n^"), date_order="dym")
    with pytest.raises(ParseError):
        qif.parse(_qif("D1/2/2024\nT1\n^"), decimal_separator=";")
    with pytest.raises(ParseError):
        qif.parse("!Type:Bank\nD1/2/2024\nT1\nPé\n^".encode("cp1252"), encoding="ascii")
