"""Pure tests of the OFX parser (no Odoo): corpus samples and malformed input.

Expected values come from the shared corpus MANIFEST.tsv (what the source
projects assert, or "in file" values read from the sample). Conventions that
differ from the source project are noted per case.
"""

import datetime
from decimal import Decimal

import pytest

from account_bank_statement_import.parsers import ofx
from account_bank_statement_import.parsers.errors import ParseError
from tests.corpus import CORPUS as SHARED_CORPUS
from tests.corpus import corpus_bytes

CORPUS = SHARED_CORPUS / "ofx"
D = Decimal


def _sample(name):
    return corpus_bytes(f"ofx/{name}")


# name: (statements, tx per statement, balance_start, balance_end, currency,
#        account, first tx (date, amount, label, partner, unique id) or None)
CORPUS_CASES = {
    # OCA imports 1 statement; we also return the empty credit-card statement
    # (it has a balance), the import layer may skip empty ones.
    "bank-statement-import__test_ofx.ofx": (
        2,
        [4, 0],
        D("2516.56"),
        D("2156.56"),
        "USD",
        "123456",
        (datetime.date(2013, 8, 24), D("-80"), "Agrolait", "Agrolait", "219378"),
    ),
    "ofxparse__anzcc.ofx": (
        1,
        [1],
        D("-117.95"),
        D("-123.45"),
        "AUD",
        "1234123412341234",
        (datetime.date(2017, 5, 8), D("-5.50"), "SOME MEMO", None, "201705080001"),
    ),
    "ofxparse__bank_medium.ofx": (
        1,
        [3],
        D("382.34") + D("6.60") + D("316.67") + D("22.00"),
        D("382.34"),
        "CAD",
        "12300 000012345678",
        (
            datetime.date(2009, 4, 1),
            D("-6.60"),
            "POS MERCHANDISE;MCDONALD'S #112",  # MEMO; the payee is partner_name
            "MCDONALD'S #112",
            "0000123456782009040100001",
        ),
    ),
    "ofxparse__checking.ofx": (
        1,
        [3],
        D("100.99") - D("0.01") + D("34.51") + D("25.00"),
        D("100.99"),
        "USD",
        "1452687~7",
        (
            datetime.date(2011, 3, 31),
            D("0.01"),
            "DIVIDEND EARNED FOR PERIOD OF 03/01/2011 THROUGH 03/31/2011 ANNUAL "
            "PERCENTAGE YIELD EARNED IS 0.05%",
            "DIVIDEND EARNED FOR PERIOD OF 03",
            "0000486",
        ),
    ),
    # ofxparse (fail_fast=False) keeps the statement without balance: so do we.
    "ofxparse__fail_nice__empty_balance.ofx": (
        1,
        [1],
        None,
        None,
        "CAD",
        "192639749",
        (datetime.date(2011, 3, 8), D("120"), "Foobar", "Foobar", "2000957249"),
    ),
    "ofxparse__multiple_accounts2.ofx": (
        2,
        [0, 0],
        D("111"),
        D("111"),
        "USD",
        "9100",
        None,
    ),
    "ofxparse__ofx-v102-empty-tags.ofx": (
        1,
        [1],
        None,
        None,
        None,  # empty CURDEF
        "12345678",
        (datetime.date(2018, 5, 7), D("12.34"), "CBA:Transfer", None, None),
    ),
    "ofxparse__suncorp.ofx": (
        1,
        [1],
        D("1234.12") + D("16.85"),
        D("1234.12"),
        "AUD",
        "123456789",
        (
            datetime.date(2013, 12, 15),
            D("-16.85"),
            "EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU",
            "EFTPOS WDL HANDYWAY ALDI STORE",
            "1",
        ),
    ),
    "ofxtools__br_nubank_cc.ofx": (
        1,
        [6],
        D("0.00"),
        D("-1280.91"),
        "BRL",
        "11111111-UUID-UUID-UUID-111111111111",
        (
            datetime.date(2024, 3, 23),
            D("-13.00"),
            "-memo-message-",
            None,
            "11111111-UUID-4747-8883-111111111111",
        ),
    ),
    "ofxtools__stmtrs_euro.ofx": (
        1,
        [2],
        D("700.29"),
        D("200.29"),
        "USD",
        "999988",
        (datetime.date(2005, 10, 4), D("-200.00"), "CHECK 1000", None, "00002"),
    ),
}


@pytest.mark.parametrize("name", sorted(CORPUS_CASES))
def test_corpus_sample(name):
    count, per_statement, start, end, currency, account, first = CORPUS_CASES[name]
    statements = ofx.parse(_sample(name))
    assert len(statements) == count
    assert [len(st.transactions) for st in statements] == per_statement
    statement = statements[0]
    assert statement.balance_start == start
    assert statement.balance_end == end
    assert statement.currency == currency
    assert statement.account_number == account
    if end is not None:
        assert statement.raw["balance_start_computed"] is True
        total = sum((tx.amount for tx in statement.transactions), D(0))
        assert statement.balance_start + total == statement.balance_end
    if first:
        tx = statement.transactions[0]
        date, amount, label, partner, unique = first
        assert (tx.date, tx.amount, tx.label) == (date, amount, label)
        assert tx.partner_name == partner
        assert tx.unique_import_id == unique
    for statement in statements:
        for tx in statement.transactions:
            assert isinstance(tx.amount, Decimal)
            assert isinstance(tx.date, datetime.date)
        statement.to_json()  # raw must be JSON-able


def test_sniff_corpus_and_others():
    for path in sorted(CORPUS.glob("*.ofx")):
        assert ofx.sniff(path.read_bytes()), path.name
    assert not ofx.sniff(b"!Type:Bank\nD1/1/20\nT1\n^\n")
    assert not ofx.sniff(b'<?xml version="1.0"?><Document xmlns="urn:iso:camt"/>')


def test_test_ofx_details():
    bank, card = ofx.parse(_sample("bank-statement-import__test_ofx.ofx"))
    # Four BANKTRANLISTs in one STMTRS: all their transactions are read.
    assert [tx.label for tx in bank.transactions] == [
        "Agrolait",
        "China Export",
        "Axelor Scuba",
        "China Scuba",
    ]
    assert bank.raw["bank_id"] == "000000123"
    assert bank.date == datetime.date(2013, 8, 31)
    assert bank.transactions[0].transaction_type == "POS"
    assert card.raw["message_set"] == "creditcard"
    assert card.account_number == "123412341234"
    assert card.balance_end == D("-562.00")


def test_french_rib_gives_iban():
    (statement, _card) = ofx.parse(_sample("bank-statement-import__test_ofx_iban.ofx"))
    assert statement.account_number == "12345678901"
    assert statement.raw["branch_id"] == "00794"
    assert statement.raw["iban"] == "FR7630001007941234567890185"


def test_multiple_accounts():
    first, second = ofx.parse(_sample("ofxparse__multiple_accounts2.ofx"))
    assert (first.account_number, first.raw["account_type"]) == ("9100", "CHECKING")
    assert (second.account_number, second.raw["account_type"]) == ("9200", "SAVINGS")
    assert second.balance_end == D("222")
    assert first.raw["bank_id"] == second.raw["bank_id"] == "123"


def test_empty_tags_sample():
    (statement,) = ofx.parse(_sample("ofxparse__ofx-v102-empty-tags.ofx"))
    tx = statement.transactions[0]
    assert tx.currency == "AUD"  # from the transaction's CURRENCY/CURSYM
    assert tx.foreign_currency is None
    assert tx.transaction_type == "CREDIT"
    assert tx.raw["trntype"] == "Credit"
    assert tx.raw["category"] == "Uncategorised"  # non-standard tags kept


def test_checking_ref_and_fitids():
    (statement,) = ofx.parse(_sample("ofxparse__checking.ofx"))
    assert [tx.unique_import_id for tx in statement.transactions] == [
        "0000486",
        "0000487",
        "0000488",
    ]
    assert statement.transactions[2].ref == "319"
    assert statement.raw["syntax"] == "sgml"


def test_bank_medium_check_number_zero_is_no_ref():
    (statement,) = ofx.parse(_sample("ofxparse__bank_medium.ofx"))
    assert statement.transactions[1].raw["checknum"] == "0"
    assert statement.transactions[1].ref is None
    assert statement.raw["branch_id"] == "00"


def test_hybrid_xml_header_with_sgml_body_falls_back():
    (statement,) = ofx.parse(_sample("ofxparse__anzcc.ofx"))
    assert statement.raw["syntax"].startswith("sgml")
    assert statement.raw["message_set"] == "creditcard"


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("bank-statement-import__test_ofx_wrong.ofx", ["line 42", "DTPOSTED"]),
        ("ofxparse__error_message.ofx", ["2000", "General Server Error"]),
        ("ofxparse__fail_nice__date_missing.ofx", ["line 33", "DTPOSTED"]),
        ("ofxparse__fail_nice__decimal_error.ofx", ["line 36", "201120000000"]),
    ],
)
def test_corpus_malformed(name, fragments):
    # ofxparse with fail_fast=False discards such transactions; we refuse the
    # file and say where, so nothing is imported silently incomplete.
    with pytest.raises(ParseError) as info:
        ofx.parse(_sample(name))
    for fragment in fragments:
        assert fragment in str(info.value)


# --------------------------------------------------------------------------- synthetic

SGML_HEADER = (
    b"OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\n"
    b"ENCODING:USASCII\r\nCHARSET:1252\r\nCOMPRESSION:NONE\r\n"
    b"OLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
)


def _sgml(transactions, header=SGML_HEADER, ledger=b"<BALAMT>100.00<DTASOF>20240131"):
    return (
        header + b"<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0"
        b"<SEVERITY>INFO</STATUS><STMTRS><CURDEF>EUR<BANKACCTFROM>"
        b"<BANKID>BANK<ACCTID>ACC1<ACCTTYPE>CHECKING</BANKACCTFROM>"
        b"<BANKTRANLIST><DTSTART>20240101<DTEND>20240131\r\n"
        + transactions
        + b"</BANKTRANLIST><LEDGERBAL>"
        + ledger
        + b"</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\r\n"
    )


def _trn(amount=b"-10.00", date=b"20240115", fitid=b"F1", extra=b""):
    return (
        b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>"
        + date
        + b"<TRNAMT>"
        + amount
        + b"<FITID>"
        + fitid
        + extra
        + b"</STMTTRN>\r\n"
    )


def test_sgml_entities_and_bare_ampersand():
    data = _sgml(_trn(extra=b"<NAME>Smith &amp; Co &#233;<MEMO>AT&T bill &lt;1&gt;"))
    tx = ofx.parse(data)[0].transactions[0]
    assert tx.partner_name == "Smith & Co é"
    assert tx.label == "AT&T bill <1>"


def test_charset_1252_header_with_utf8_content():
    data = _sgml(_trn(extra="<NAME>Müller Société".encode()))
    statement = ofx.parse(data)[0]
    assert statement.transactions[0].partner_name == "Müller Société"
    assert statement.raw["encoding"] == "utf-8"


def test_usascii_header_with_cp1252_bytes():
    data = _sgml(_trn(extra="<NAME>Caf\u00e9 \u20ac".encode("cp1252")))
    statement = ofx.parse(data)[0]
    assert statement.transactions[0].partner_name == "Café €"
    assert statement.raw["encoding"] == "cp1252"


def test_ofx2_xml_with_non_ascii_names():
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE"?>\n'
        "<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR</CURDEF>"
        "<BANKACCTFROM><ACCTID>NL91ABNA0417164300</ACCTID></BANKACCTFROM>"
        "<BANKTRANLIST><STMTTRN><TRNTYPE>CREDIT</TRNTYPE>"
        "<DTPOSTED>20240131120000.123[-5:EST]</DTPOSTED><TRNAMT>1234,56</TRNAMT>"
        "<FITID>X1</FITID><NAME>Jürgen Søren</NAME>"
        "<BANKACCTTO><BANKID>RABO</BANKID><ACCTID>NL10RABO8986143410</ACCTID>"
        "</BANKACCTTO><CHECKNUM>0042</CHECKNUM></STMTTRN></BANKTRANLIST>"
        "<LEDGERBAL><BALAMT>2000.00</BALAMT><DTASOF>20240131</DTASOF></LEDGERBAL>"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    ).encode()
    (statement,) = ofx.parse(data)
    tx = statement.transactions[0]
    assert statement.raw["syntax"] == "xml"
    assert tx.date == datetime.date(2024, 1, 31)  # as written, not moved to UTC
    assert tx.amount == D("1234.56")
    assert tx.partner_name == "Jürgen Søren"
    assert tx.account_number == "NL10RABO8986143410"
    assert tx.raw["bankacctto"]["bankid"] == "RABO"
    assert tx.ref == "0042"
    assert statement.balance_start == D("765.44")


def test_missing_leaf_end_tags_and_empty_leaf_and_crlf_whitespace():
    transactions = (
        b"<STMTTRN>\r\n\t<TRNTYPE>DEBIT\r\n\t<DTPOSTED>20240115\r\n"
        b"\t<TRNAMT>  -5.00  \r\n\t<FITID>F1\r\n\t<NAME>\r\n\t<MEMO>coffee\r\n"
        b"</STMTTRN>\r\n"
    )
    tx = ofx.parse(_sgml(transactions))[0].transactions[0]
    assert tx.amount == D("-5.00")
    assert tx.label == "coffee"  # MEMO was not swallowed by the empty NAME
    assert tx.partner_name is None


def test_missing_stmttrn_end_tags():
    transactions = (
        b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-1<FITID>A\r\n"
        b"<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240116<TRNAMT>3<FITID>B\r\n"
    )
    statement = ofx.parse(_sgml(transactions))[0]
    assert [tx.unique_import_id for tx in statement.transactions] == ["A", "B"]
    assert [tx.amount for tx in statement.transactions] == [D("-1"), D("3")]


def test_date_forms():
    dates = [
        (b"20240131", datetime.date(2024, 1, 31)),
        (b"20240131120000", datetime.date(2024, 1, 31)),
        (b"20240131120000.000[-5:EST]", datetime.date(2024, 1, 31)),
        (b"20240131235959[+5.30:IST]", datetime.date(2024, 1, 31)),
        (b"202401311200", datetime.date(2024, 1, 31)),
        (b"20240131093914:014", datetime.date(2024, 1, 31)),
    ]
    trns = b"".join(
        _trn(date=raw, fitid=b"F%d" % i) for i, (raw, _) in enumerate(dates)
    )
    statement = ofx.parse(_sgml(trns))[0]
    assert [tx.date for tx in statement.transactions] == [d for _r, d in dates]


def test_duplicate_fitid_keeps_no_id():
    statement = ofx.parse(_sgml(_trn(fitid=b"SAME") + _trn(fitid=b"SAME")))[0]
    assert [tx.unique_import_id for tx in statement.transactions] == [None, None]
    assert statement.transactions[0].raw["ambiguous_id"] == "SAME"


def test_orig_currency_gives_foreign_amount():
    extra = b"<ORIGCURRENCY><CURRATE>0.5<CURSYM>USD</ORIGCURRENCY>"
    tx = ofx.parse(_sgml(_trn(amount=b"-10.00", extra=extra)))[0].transactions[0]
    assert (tx.amount, tx.currency) == (D("-10.00"), "EUR")
    assert (tx.foreign_amount, tx.foreign_currency) == (D("-20.00"), "USD")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"OFXHEADER:100\r\nDATA:OFXSGML\r\n", "no OFX element"),
        (b"hello world", "no OFX element"),
        (_sgml(_trn(date=b"20240231")), "DTPOSTED"),  # Feb 31
        (_sgml(_trn(date=b"2024-01-31")), "invalid OFX date"),
        (_sgml(_trn(amount=b"12a")), "TRNAMT"),
        (_sgml(_trn(amount=b"1e5")), "invalid amount"),
        (_sgml(_trn())[:-60], "truncated"),
        (b"<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>", "no bank or credit card"),
    ],
)
def test_malformed(data, fragment):
    with pytest.raises(ParseError) as info:
        ofx.parse(data)
    assert fragment in str(info.value)


def test_error_names_the_line():
    data = _sgml(_trn(fitid=b"A") + _trn(amount=b"x", fitid=b"B"))
    with pytest.raises(ParseError) as info:
        ofx.parse(data)
    assert info.value.where == "line 13, STMTRS[1]/STMTTRN[2]/TRNAMT"


def test_doctype_with_entities_refused():
    data = (
        b'<?xml version="1.0"?><?OFX OFXHEADER="200" VERSION="211"?>'
        b'<!DOCTYPE OFX [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>&x;</CURDEF></STMTRS>"
        b"</STMTTRNRS></BANKMSGSRSV1></OFX>"
    )
    with pytest.raises(ParseError):
        ofx.parse(data)


def test_too_large():
    with pytest.raises(ParseError):
        ofx.parse(_sgml(_trn()), max_size=100)
