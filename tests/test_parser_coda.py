"""Pure tests of the CODA parser (no Odoo): corpus samples and malformed input.

Expected values from the shared corpus MANIFEST.tsv. Where a sample's own
figures do not add up (coda_standard's balances and trailer, the Ontvangen
file's new balance), the parser keeps the bank's figures and records a warning:
the tests check both.
"""

import datetime
from decimal import Decimal

import pytest

from account_bank_statement_import.parsers import coda
from account_bank_statement_import.parsers.errors import ParseError
from tests.corpus import CORPUS as SHARED_CORPUS
from tests.corpus import corpus_bytes

CORPUS = SHARED_CORPUS / "coda"
D = Decimal


def _sample(name):
    return corpus_bytes(f"coda/{name}")


def test_coda_standard():
    (statement,) = coda.parse(_sample("coda_standard__coda.cod"))
    assert statement.account_number == "539007547034"
    assert statement.raw["account_structure"] == "0"
    assert statement.raw["iban"] == "BE68539007547034"
    assert statement.bank_bic == "GEBABEBB"
    assert statement.currency == "EUR"
    assert statement.balance_start == D("57900.000")
    assert len(statement.transactions) == 2
    first, second = statement.transactions
    assert first.date == datetime.date(2015, 3, 31)
    assert first.value_date == datetime.date(2015, 4, 1)
    assert first.amount == D("500.86")
    assert first.partner_name == "LASTNM PERSON"
    assert first.account_number == "BE53900754703405"
    assert first.counterparty_bic == "GKCCBEBB"
    assert first.ref == "+++100/0008/34941+++"  # transaction number 100000834941
    assert "CHAUSSEE DE BIERE 10 1978 SOMECITY" in first.narration
    assert first.raw["bank_reference"] == "0001500000103"
    assert second.amount == D("200.00")
    assert second.account_number == "LU539007547034898400"
    assert second.counterparty_bic == "BILLLULL"
    assert [tx.unique_import_id for tx in statement.transactions] == [
        "2015/016/0001",
        "2015/016/0002",
    ]
    # The sample's new balance (58900) is not old balance + movements (58600.86).
    assert statement.balance_end == D("58900.000")
    assert any("!= new balance" in w for w in statement.raw["warnings"])


def test_invalid_sample_names_the_line():
    with pytest.raises(ParseError) as info:
        coda.parse(_sample("coda_standard__invalid.cod"))
    assert info.value.where.startswith("line 14")
    assert "52 characters" in str(info.value)


def test_multi_statements():
    first, second = coda.parse(
        _sample("l10n-belgium__Coda_iban_v2_3_multi_statements.txt")
    )
    assert (first.name, second.name) == ("2014/036", "2014/037")
    assert first.account_number == second.account_number == "BE13001676096039"
    assert (first.balance_start, first.balance_end) == (D("39698.09"), D("39575.69"))
    assert (second.balance_start, second.balance_end) == (
        D("39575.69"),
        D("139575.69"),
    )
    assert first.date == datetime.date(2014, 3, 29)
    assert second.date == datetime.date(2014, 3, 31)
    assert [len(st.transactions) for st in (first, second)] == [1, 1]
    tx = first.transactions[0]
    assert tx.amount == D("-122.40")
    assert tx.label == "PREVENTION ET PROTECTION"
    assert tx.partner_name == "VZW SOCIAAL SECRET.SECUREX"
    assert tx.account_number == "BE11290006307748"
    big = second.transactions[0]
    assert big.amount == D("100000.00")
    assert big.account_number == "NL34BKMG0261239759"
    assert big.ref == "FT14090KG9S3"  # SEPA customer reference of record 2.2
    # The foreign-currency detail (sequence 0001 detail 0002) is information.
    assert [d["detail"] for d in big.raw["details"]] == ["0002"]
    for statement in (first, second):
        assert "warnings" not in statement.raw or not statement.raw["warnings"]


def test_single_statement_globalised_kept_whole():
    (statement,) = coda.parse(
        _sample("l10n-belgium__Coda_iban_v2_3_single_statement.txt")
    )
    assert statement.name == "2009/042"
    assert statement.account_number == "BE86407051416150"
    assert statement.balance_start == statement.balance_end == D("0")
    # 32 movement records: 17 booked movements (detail 0000) and 15 details of
    # the globalised movements 16 and 17. OCA 7.0 expanded the details (its
    # 30 lines); we keep what moved the account, the details in raw.
    assert len(statement.transactions) == 17
    total = sum((tx.amount for tx in statement.transactions), D(0))
    assert statement.balance_start + total == statement.balance_end
    seventeen = statement.transactions[-1]
    assert seventeen.label == "OVERBOEKING NAAR CENTRALE REKENING"
    assert seventeen.amount == D("-2608.00")
    assert seventeen.account_number == "BE38733040385372"
    assert len(seventeen.raw["details"]) == 14
    details = sum((D(d["amount"]) for d in seventeen.raw["details"]), D(0))
    assert details == seventeen.amount
    assert "warnings" not in statement.raw


def test_ontvangen_structured_communication():
    (statement,) = coda.parse(
        _sample("l10n-belgium__Ontvangen_CODA.2012-01-11-18.59.15.txt")
    )
    assert statement.name == "2012/135"
    assert statement.account_number == "BE46737018594236"
    assert statement.raw["new_balance_account"] == "BE44734024486445"
    assert (statement.balance_start, statement.balance_end) == (
        D("11812.70"),
        D("13646.05"),
    )
    first, second, third = statement.transactions[:3]
    assert (first.date, first.amount) == (datetime.date(2012, 1, 11), D("-435.00"))
    assert second.amount == D("3044.45")
    assert second.label == second.ref == "+++240/2838/42818+++"
    assert second.partner_name == "PARTNER 2"
    assert second.account_number == "BE61310126985517"
    assert "MOLENSTRAAT 60 9340 LEDE" in second.narration
    # Collective movement 3: one transaction, its two details in raw.
    assert third.amount == D("-479.04")
    assert [D(d["amount"]) for d in third.raw["details"]] == [
        D("-419.92"),
        D("-59.12"),
    ]
    assert len(statement.transactions) == 5
    # The trailer agrees with the movements; the file's new balance does not.
    assert statement.raw["trailer"]["debit"] == "1393.08"
    assert statement.raw["warnings"] == [
        "old balance 11812.70 + movements 1715.11 != new balance 13646.05"
    ]


def test_sniff():
    for path in sorted(CORPUS.iterdir()):
        assert coda.sniff(path.read_bytes()), path.name
    assert not coda.sniff(b"OFXHEADER:100\r\n")
    assert not coda.sniff(b"0000 hello\n")


# --------------------------------------------------------------------------- synthetic


def _record(text):
    assert len(text) <= 128
    return text.ljust(128)


def _file(movements=(), old="000000001000000", new="000000001500000"):
    header = _record("00000" + "010124" + "725" + "05" + " " * 44 + "KREDBEBB") + ""
    header = header[:127] + "2"
    lines = [
        header,
        _record("12001BE68539007547034" + " " * 18 + "EUR0" + old + "311223HOLDER"),
        *movements,
        _record("8001BE68539007547034" + " " * 18 + "EUR0" + new + "010124"),
        _record("9" + " " * 15 + "000003" + "0" * 15 + "000000000500000"),
    ]
    return ("\r\n".join(line[:128] for line in lines) + "\r\n").encode("latin-1")


def _movement(amount="000000000500000", sign="0", entry="010124", comm="Hello"):
    return _record(
        "2100010000"
        + "REF".ljust(21)
        + sign
        + amount
        + "010124"
        + "00150000"
        + "0"
        + comm.ljust(53)
        + entry
        + "001"
        + "0"
        + "0"
        + " "
        + "0"
    )


def test_synthetic_file():
    (statement,) = coda.parse(_file([_movement()]))
    tx = statement.transactions[0]
    assert (tx.amount, tx.label, tx.date) == (
        D("500.00"),
        "Hello",
        datetime.date(2024, 1, 1),
    )
    assert statement.name == "2024/001"
    assert "warnings" not in statement.raw


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (_file([_movement(entry="310224")]), "entry date"),  # Feb 31
        (_file([_movement(amount="00000000050000X")]), "invalid amount"),
        (_file([_movement(sign="5")]), "sign code"),
        (_file([_movement()])[:-130], "trailer record 9"),  # truncated
        (_file([_movement()])[:300], "characters"),  # cut inside a record
        (_file([_movement()]).replace(b"\r\n21", b"\r\n21 ", 1), "characters"),
        (_file([_movement()]).replace(b"\r\n21", b"\r\n71", 1), "unknown record"),
        (
            _file([_record("2200020000")]),  # 2.2 without its 2.1
            "without the movement",
        ),
        (_file([_movement(), _record("2200020000")]), "continues movement"),
        (_file()[130:], "record 1 before header"),
    ],
)
def test_malformed(data, fragment):
    with pytest.raises(ParseError) as info:
        coda.parse(data)
    assert fragment in str(info.value)


def test_wrong_encoding_is_read_as_cp1252():
    data = _file([_movement(comm="Cafe X")])
    data = data.replace(b"Cafe X", "Café €".encode("cp1252"))
    tx = coda.parse(data)[0].transactions[0]
    assert tx.label == "Café €"


def test_short_records_padded_when_not_strict():
    data = b"\r\n".join(line.rstrip() for line in _file([_movement()]).splitlines())
    with pytest.raises(ParseError):
        coda.parse(data)
    (statement,) = coda.parse(data, strict_length=False)
    assert statement.transactions[0].amount == D("500.00")
