"""MT940/MT942 parser tests: corpus samples against MANIFEST.tsv, edge cases.

Expected values are copied from the shared corpus MANIFEST.tsv. The mt940
library's dumps keep only the LAST statement's :60F:/:62F: (MANIFEST notes), so
balances are compared with our last statement; the OCA Rabobank test merges
the file's four :20: blocks into one statement, we return one per :20:.
"""

import datetime
from decimal import Decimal

import pytest

from account_bank_statement_import.parsers import mt940
from account_bank_statement_import.parsers.errors import FileTooLargeError, ParseError
from tests.corpus import CORPUS as SHARED_CORPUS
from tests.corpus import corpus_bytes

CORPUS = SHARED_CORPUS / "mt940"
D = Decimal


def load(name):
    return corpus_bytes(f"mt940/{name}")


# name: (statements, transactions, last opening, last closing, currency,
#        account (ours: currency suffix removed), first tx booking date, amount)
MANIFEST = {
    "bank-statement-import__test-ing.940": (
        1,
        8,
        D("662.23"),
        D("564.35"),
        "EUR",
        "NL77INGB0574908765",
        datetime.date(2014, 2, 20),
        D("1.56"),
    ),
    "bank-statement-import__test-ing-old.940": (
        1,
        8,
        D("662.23"),
        D("564.35"),
        "EUR",
        "NL77INGB0574908765",
        None,
        None,
    ),
    # OCA: 1 merged statement 4433.52 -> 4798.91 with +400.00, -34.61
    "bank-statement-import__test-rabo.swi": (
        4,
        2,
        D("4798.91"),
        D("4798.91"),
        "EUR",
        "NL34RABO0142623393",
        datetime.date(2014, 1, 2),
        D("400.00"),
    ),
    "mt940__betterplace__sepa_mt9401.sta": (
        26,
        97,
        D("0"),
        D("50.05"),
        "EUR",
        "50880050/0194804000888",
        datetime.date(2007, 9, 4),
        D("300"),
    ),
    "mt940__betterplace__with_binary_character.sta": (
        2,
        4,
        D("130073.19"),
        D("131193.19"),
        "EUR",
        "51230800/0000007304",
        datetime.date(2010, 3, 19),
        D("27.00"),
    ),
    "mt940__jejik__abnamro.sta": (
        2,
        10,
        D("2876.84"),
        D("1849.75"),
        "EUR",
        "517852257",
        datetime.date(2011, 5, 24),
        D("-9"),
    ),
    "mt940__jejik__ing.sta": (
        1,
        7,
        D("0.00"),
        D("3.47"),
        "EUR",
        "0001234567",
        datetime.date(2010, 7, 22),
        D("-25.03"),
    ),
    "mt940__jejik__knab.sta": (
        2,
        3,
        D("3058.98"),
        D("798.98"),
        "EUR",
        "123456789",
        datetime.date(2014, 5, 7),
        D("500"),
    ),
    "mt940__jejik__postfinance.sta": (
        2,
        4,
        D("229.20"),
        D("159.60"),
        "CHF",
        "123456789",
        datetime.date(2013, 12, 9),
        D("79.7"),
    ),
    "mt940__jejik__rabobank-iban.sta": (
        2,
        4,
        D("965.00"),
        D("930.00"),
        "EUR",
        "NL71RABO0123456789",
        datetime.date(2013, 1, 1),
        D("-25.00"),
    ),
    "mt940__jejik__rabobank.sta": (
        4,
        5,
        D("4196.12"),
        D("4101.82"),
        "EUR",
        "1526.89.184",
        datetime.date(2011, 5, 27),
        D("-1213.28"),
    ),
    # MANIFEST first_tx_date 2012-06-07 is the value date; booking is 06-08.
    "mt940__jejik__sns.sta": (
        2,
        2,
        D("1209.56"),
        D("1209.56"),
        "EUR",
        "0123456789",
        datetime.date(2012, 6, 8),
        D("-20.00"),
    ),
    "mt940__jejik__triodos.sta": (
        1,
        2,
        D("4975.09"),
        D("4370.79"),
        "EUR",
        "TRIODOSBANK/0390123456",
        datetime.date(2011, 1, 1),
        D("-15.70"),
    ),
    "mt940__mBank__mt940.sta": (
        1,
        3,
        D("0.40"),
        D("0.43"),
        "PLN",
        "PL29114010810000267002001002",
        datetime.date(2017, 1, 19),
        D("0.01"),
    ),
    "mt940__mBank__mt942.sta": (
        1,
        3,
        None,
        None,
        "PLN",
        "PL29114010810000267002001002",
        datetime.date(2017, 1, 19),
        D("0.01"),
    ),
    "mt940__sberbank__171011_01234945.sta": (
        1,
        3,
        D("627311.30"),
        D("617874.30"),
        "HUF",
        "1966315302010001",
        datetime.date(2017, 10, 11),
        D("-2402.00"),
    ),
    "mt940__self-provided__raiffeisen-cmi.sta": (
        1,
        7,
        D("25170637.10"),
        D("25281687.60"),
        "HUF",
        "UBRTHUHB/123456789150ABCDEF002",
        datetime.date(2018, 4, 17),
        D("2066637.00"),
    ),
}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_corpus_against_manifest(name):
    n_stmt, n_tx, opening, closing, currency, account, first_date, first_amount = MANIFEST[name]
    data = load(name)
    assert mt940.sniff(data)
    statements = mt940.parse(data)
    assert len(statements) == n_stmt
    assert sum(len(stmt.transactions) for stmt in statements) == n_tx
    last = statements[-1]
    assert (last.balance_start, last.balance_end) == (opening, closing)
    assert last.currency == currency
    assert last.account_number == account
    if first_date:
        tx = next(tx for stmt in statements for tx in stmt.transactions)
        assert (tx.date, tx.amount) == (first_date, first_amount)


def test_ing_structured_86():
    (stmt,) = mt940.parse(load("bank-statement-import__test-ing.940"))
    first = stmt.transactions[0]
    # MANIFEST: remote account NL32INGB0000012345; ref (EREF) EV12341REP1231456T1234
    assert first.account_number == "NL32INGB0000012345"
    assert first.ref == "EV12341REP1231456T1234"
    assert first.partner_name == "ING BANK NV INZAKE WEB"
    assert first.counterparty_bic == "INGBNL2A"
    assert first.label == "EV10001REP1000000T1000"
    assert first.unique_import_id == "00000000001"
    assert stmt.raw["statement_number"] == "00000"  # :28C: wrapped onto next line
    # the "-" inside /MARF/MND-EV01/ continues :86:, it does not end the message
    mandate = stmt.transactions[3]
    assert mandate.raw["fields"]["MARF"] == "MND-EV01"
    assert mandate.label == "EV123REP123412T1234"
    assert [tx.amount for tx in stmt.transactions] == [
        D("1.56"),
        D("-1.57"),
        D("1.57"),
        D("-1.14"),
        D("1.45"),
        D("-12.75"),
        D("32.00"),
        D("-119.00"),
    ]
    assert stmt.raw["available_balance"][0]["amount"] == "564.35"
    assert stmt.raw["info"].startswith("/SUM/")


def test_rabo_old_and_new_details():
    stmts = mt940.parse(load("bank-statement-import__test-rabo.swi"))
    first = stmts[0].transactions[0]
    # MANIFEST: remote account on the :61: supplementary line; /ORDP//NAME/R. SMITH
    assert first.account_number == "NL66RABO0160878799"
    assert first.partner_name == "R. SMITH"
    assert first.label == "Test money paid by other partner:"
    assert first.ref is None  # NONREF
    # 2nd tx value date 2014-01-01 is earlier than its statement
    assert stmts[2].transactions[0].date == datetime.date(2014, 1, 1)
    assert (stmts[0].balance_start, stmts[-1].balance_end) == (D("4433.52"), D("4798.91"))
    old = mt940.parse(load("mt940__jejik__rabobank.sta"))
    assert old[0].account_number == "1291.99.348"
    assert old[0].transactions[0].label.startswith("Terugboeking NIET AKKOORD")


def test_german_subfields():
    stmts = mt940.parse(load("mt940__betterplace__with_binary_character.sta"))
    tx = stmts[0].transactions[0]
    assert tx.partner_name == "PAYPAL"
    assert tx.account_number == "0175526300"
    assert tx.counterparty_bic == "50070010"
    assert tx.narration == "Bank Transfer Credit"
    assert tx.transaction_type == "NTRF/051"
    assert tx.unique_import_id == "32-P1-TCS49518"
    assert tx.ref == "100323-03-100323"
    sepa = mt940.parse(load("mt940__betterplace__sepa_mt9401.sta"))
    assert sepa[0].transactions[0].raw["funds_code"] == "R"
    storno = sepa[0].transactions[5]
    assert storno.raw["reversal"] is True and storno.amount == D("-204.88")


def test_triodos_and_abnamro_labels():
    tx = mt940.parse(load("mt940__jejik__triodos.sta"))[0].transactions[0]
    assert tx.label == "ALGEMENE TUSSENREKENING KOSTEN VAN 01-10-2010 TOT EN MET 31-12-2010"
    assert tx.account_number == "0390123456"
    abn = mt940.parse(load("mt940__jejik__abnamro.sta"))[0].transactions[0]
    assert abn.label.startswith("GIRO 428428 KPN - DIGITENNE")


def test_mt942_fields():
    (stmt,) = mt940.parse(load("mt940__mBank__mt942.sta"))
    assert stmt.date == datetime.date(2017, 1, 19)
    assert stmt.raw["sum_credits"] == "3PLN0,03"
    assert [tx.unique_import_id for tx in stmt.transactions] == [
        "MB170119012058",
        "MB170119012085",
        "MB170119012121",
    ]


def test_encoding_option():
    data = load("mt940__self-provided__raiffeisen-cmi.sta")
    tx = mt940.parse(data, encoding="cp852")[0].transactions[0]
    assert "összevont utánvét" in tx.label
    with pytest.raises(ParseError, match="unknown encoding"):
        mt940.parse(data, encoding="no-such")


# ----------------------------------------------------------------- synthetic


def make(line61=":61:2401020102C10,00NTRFNONREF//B1", info=":86:/NAME/X/REMI/Y"):
    return (
        ":20:REF\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C231231EUR100,00\n"
        f"{line61}\n{info}\n:62F:C240102EUR110,00\n-\n"
    ).encode()


@pytest.mark.parametrize(
    ("line61", "amount", "date", "value_date", "reversal"),
    [
        (":61:2401020102C10,00NTRFNONREF", D("10.00"), "2024-01-02", "2024-01-02", False),
        (":61:2401020102D10,00NTRFNONREF", D("-10.00"), "2024-01-02", "2024-01-02", False),
        # RC: reversal of a credit = money out; RD: reversal of a debit = money in
        (":61:2401020102RC10,00NTRFNONREF", D("-10.00"), "2024-01-02", "2024-01-02", True),
        (":61:2401020102RD10,00NTRFNONREF", D("10.00"), "2024-01-02", "2024-01-02", True),
        # value 31 Dec 2023, booked 2 Jan: next year; value 2 Jan, booked 31 Dec: before
        (":61:2312310102C1,NTRFNONREF", D("1"), "2024-01-02", "2023-12-31", False),
        (":61:2401021231C1,NTRFNONREF", D("1"), "2023-12-31", "2024-01-02", False),
        (":61:240102C000000000001,50NTRFNONREF", D("1.50"), "2024-01-02", "2024-01-02", False),
    ],
)
def test_line61(line61, amount, date, value_date, reversal):
    tx = mt940.parse(make(line61))[0].transactions[0]
    assert tx.amount == amount
    assert tx.date.isoformat() == date and tx.value_date.isoformat() == value_date
    assert tx.raw.get("reversal", False) is reversal


def test_envelope_and_sepa_86():
    data = (
        b"{1:F01BANKBEBBAXXX0000000000}{2:I940BANKBEBBXXXXN}{4:\n"
        + make(
            info=":86:/EREF/E2E-1//IBAN/NL91ABNA0417164300/BIC/ABNANL2A/NAME/Jan/REMI/Inv\n oice 7"
        )
        + b"}\n"
    )
    (stmt,) = mt940.parse(data)
    tx = stmt.transactions[0]
    assert (tx.ref, tx.account_number, tx.counterparty_bic, tx.partner_name) == (
        "E2E-1",
        "NL91ABNA0417164300",
        "ABNANL2A",
        "Jan",
    )
    assert tx.label == "Inv oice 7"
    assert tx.unique_import_id == "B1"


def test_duplicate_bank_refs_dropped():
    data = make(":61:2401020102C10,00NTRFNONREF//B1\n:86:a\n:61:2401020102C10,00NTRFNONREF//B1")
    assert [t.unique_import_id for t in mt940.parse(data)[0].transactions] == [None, None]


@pytest.mark.parametrize(
    ("data", "message", "where"),
    [
        (make(":61:2402300230C10,00NTRFNONREF"), "invalid date '240230'", "line 5 (:61:)"),
        (make(":61:2402282302C10,00NTRFNONREF"), "invalid entry date", "line 5 (:61:)"),
        (make(":61:2401020102CX,00NTRFNONREF"), "invalid statement line", "line 5 (:61:)"),
        (make().replace(b"EUR100,00", b"EUR1O0,00"), "invalid balance", "line 4 (:60F:)"),
        (make().replace(b"C231231", b"C231331"), "invalid date", "line 4 (:60F:)"),
        (b"", "empty file", None),
        (b"\r\n \r\n", "empty file", None),
        (b":25:123\n:20:x\n", "before any :20:", "line 1"),
        (b"hello\nworld\n", "no :20:", "line 1"),
    ],
)
def test_malformed(data, message, where):
    with pytest.raises(ParseError, match=message) as info:
        mt940.parse(data)
    assert info.value.where == where


def test_corpus_malformed():
    # MANIFEST: OCA raises on the bogus ':9401:' header
    with pytest.raises(ParseError, match="9401") as info:
        mt940.parse(load("bank-statement-import__test-wrong-file.940"))
    assert info.value.where == "line 1"
    # The mt940 library silently "fixes" 30 Feb to 29 Feb; we refuse it.
    with pytest.raises(ParseError, match="160230") as info:
        mt940.parse(load("mt940__self-provided__february_30.sta"))
    assert info.value.where == "line 6 (:61:)"
    data = load("mt940__self-provided__invalid_statement.sta")
    assert not mt940.sniff(data)
    with pytest.raises(ParseError, match="no :20:"):
        mt940.parse(data)


def test_oversize():
    with pytest.raises(FileTooLargeError):
        mt940.parse(make(), max_size=10)
