"""CSV/XLSX sheet parser: detection and parsing of the real-world corpus."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from account_bank_statement_import.parsers import csv_format, sheet, xlsx
from account_bank_statement_import.parsers.errors import ParseError
from account_bank_statement_import.parsers.sheet import SheetMapping
from tests.corpus import CORPUS

D = Decimal


def read(name):
    return (CORPUS / name).read_bytes()


def only(statements):
    assert len(statements) == 1
    return statements[0]


# (file, n transactions, first date, first amount, first label,
#  balance_start, balance_end, sum of amounts) -- detected automatically.
AUTO = [
    (
        "csv/bank-statement-import__balance.csv",
        2,
        "2018-12-15",
        "-33.50",
        "Your best supplier",
        "10.00",
        "1510.00",
        "1500.00",
    ),
    (
        "csv/bank-statement-import__debit_credit.csv",
        2,
        "2018-12-15",
        "-33.50",
        "Your best supplier",
        "10.00",
        "1510.00",
        "1500.00",
    ),
    # OCA's accounting-side convention, recognised from the balance column.
    (
        "csv/bank-statement-import__debit_credit_amount.csv",
        4,
        "2018-12-15",
        "-20.00",
        "Credit 20.00",
        "10.00",
        "1510.00",
        "1500.00",
    ),
    (
        "csv/bank-statement-import__empty_lines_statement.csv",
        3,
        "2018-02-25",
        "-33.50",
        "AAAOOO 1",
        None,
        None,
        "2291.50",
    ),
    (
        "csv/bank-statement-import__sample_statement_en.csv",
        2,
        "2018-12-15",
        "-33.50",
        "Your best supplier on 12/15/2018",
        None,
        None,
        "1491.50",
    ),
    # Bank-side signs (OCA's test inverts them, see MANIFEST notes).
    (
        "csv/bank-statement-import__meta_data_separated_credit_debit.csv",
        4,
        "2020-04-01",
        "-50.00",
        "LABEL 1",
        None,
        None,
        "1069.32",
    ),
    (
        "csv/ofxstatement-austrian__easybank-creditcard.csv",
        3,
        "2013-07-02",
        "-5.99",
        "Some vendor/info|12345678909876543212345",
        None,
        None,
        "2.31",
    ),
    (
        "csv/ofxstatement-austrian__easybank-giro.csv",
        10,
        "2014-01-01",
        "-0.42",
        "Einbehaltene KESt BG/000000001",
        None,
        None,
        "-1562.86",
    ),
    (
        "csv/ofxstatement-austrian__ing-diba-at.csv",
        6,
        "2013-12-31",
        "12.23",
        "Habenzinsen",
        None,
        None,
        "-992.03",
    ),
    (
        "csv/ofxstatement-austrian__livebank.csv",
        3,
        "2013-07-03",
        "150.00",
        "Datenträger-Umsatz",
        None,
        None,
        "5050.00",
    ),
    (
        "csv/ofxstatement-austrian__oberbank.csv",
        5,
        "2017-03-15",
        "-11.00",
        "Zahlungsreferenz, Empfängername, Adresszeile1, Adresszeile2",
        None,
        None,
        "-9.00",
    ),
    (
        "csv/ofxstatement-austrian__raiffeisen-at.csv",
        7,
        "2013-06-28",
        "0.58",
        "0,125 % p.a. Habenzinsen ab 01.04.13",
        None,
        None,
        "-157.89",
    ),
    (
        "csv/ofxstatement-dutch__asn_transactie-historie.csv",
        11,
        "2022-06-17",
        "223.77",
        "",
        "130.44",
        "84.24",
        "-46.20",
    ),
    (
        "csv/ofxstatement-dutch__ing-nl_ok.csv",
        5,
        "2020-02-13",
        "-1.25",
        "Kosten OranjePakket met korting",
        None,
        None,
        "19.38",
    ),
    (
        "csv/ofxstatement-dutch__ing-nl_ok_Mutatiesoort_Extra_Unquoted.csv",
        5,
        "2020-02-13",
        "-1.25",
        "Kosten OranjePakket met korting",
        None,
        None,
        "19.38",
    ),
    (
        "csv/ofxstatement-dutch__knab_transactieoverzicht_ok.csv",
        28,
        "2019-06-21",
        "-827.75",
        "Tresorie",
        None,
        None,
        "7.01",
    ),
    (
        "csv/ofxstatement-sparkasse-freiburg__sparkasse_csv-camt_simple1.csv",
        2,
        "2018-03-28",
        "-1234.56",
        "1234123412341 1234123412 MIETE04/18",
        None,
        None,
        "-1111.56",
    ),
    (
        "xlsx/bank-statement-import__meta_data_separated_credit_debit.xlsx",
        4,
        "2020-04-01",
        "-50.00",
        "LABEL 1",
        None,
        None,
        "1069.32",
    ),
    (
        "xlsx/bank-statement-import__sample_statement_en.xlsx",
        2,
        "2018-12-15",
        "-33.5",
        "Your best supplier on 12/15/2018",
        None,
        None,
        "1491.5",
    ),
    (
        "xlsx/bank-statement-import__sample_statement_offsets.xlsx",
        2,
        "2018-12-15",
        "-33.5",
        "Your best supplier on 12/15/2018",
        None,
        None,
        "1491.5",
    ),
    (
        "xlsx/bank-statement-import__sample_statement_en_empty_values.xlsx",
        3,
        "2024-03-07",
        "-579.68",
        "TRANS 3333349666",
        "9705.75",
        "7498.07",
        "-2207.68",
    ),
    # Adyen settlement: one line per row (OCA's Adyen importer adds fee lines).
    (
        "xlsx/bank-statement-import__adyen_test.xlsx",
        21,
        "2016-10-20",
        "882.71",
        "5314769930000000",
        None,
        None,
        "0.00",
    ),
    (
        "csv/bank-statement-import__adyen_settlement_detail_report_batch_238.csv",
        3,
        "2022-02-22",
        "454331.99",
        "Balancetransfer from batch 237",
        None,
        None,
        "0.00",
    ),
]


@pytest.mark.parametrize(
    "name,count,date,amount,label,start,end,total", AUTO, ids=[a[0] for a in AUTO]
)
def test_corpus_detected(name, count, date, amount, label, start, end, total):
    data = read(name)
    statement = only(sheet.parse(data))
    first = statement.transactions[0]
    assert len(statement.transactions) == count
    assert first.date == datetime.date.fromisoformat(date)
    assert first.amount == D(amount)
    assert first.label == label
    assert statement.balance_start == (D(start) if start else None)
    assert statement.balance_end == (D(end) if end else None)
    assert sum(t.amount for t in statement.transactions) == D(total)
    for transaction in statement.transactions:
        assert isinstance(transaction.amount, Decimal)


def test_mapping_details_of_detection():
    ing = sheet.detect(read("csv/ofxstatement-dutch__ing-nl_ok.csv"))
    assert ing.amount_mode == "amount_dc"
    assert ing.dc_indicator == "Af Bij"
    assert ing.skip_zero_amount
    assert ing.date_format == "%Y%m%d"
    knab = sheet.detect(read("csv/ofxstatement-dutch__knab_transactieoverzicht_ok.csv"))
    assert knab.header_rows == 1 and knab.delimiter == ";"
    assert knab.unique_id == "Referentie"
    meta = sheet.detect(read("csv/bank-statement-import__meta_data_separated_credit_debit.csv"))
    assert (meta.header_rows, meta.footer_rows) == (4, 1)
    assert meta.decimal_sep == ","
    # 01/04/20 and 02/04/20 fit D/M and M/D: chosen, and said so.
    assert any("%m/%d/%y" in warning for warning in meta.warnings)
    asn = sheet.detect(read("csv/ofxstatement-dutch__asn_transactie-historie.csv"))
    assert asn.balance_before == 8 and not asn.invert_sign and not asn.has_header
    giro = sheet.detect(read("csv/ofxstatement-austrian__easybank-giro.csv"))
    assert giro.encoding == "cp1252"
    inverted = sheet.detect(read("csv/bank-statement-import__debit_credit_amount.csv"))
    assert inverted.invert_sign and inverted.warnings


def test_knab_statement_account_and_ids():
    statement = only(sheet.parse(read("csv/ofxstatement-dutch__knab_transactieoverzicht_ok.csv")))
    assert statement.account_number == "NL99KNAB9999999999"
    assert statement.currency == "EUR"
    first = statement.transactions[0]
    assert first.unique_import_id == "B9F21PGYA068V2KD"
    assert first.partner_name == "Gert Janssen (FR)"
    assert first.account_number == "FR9999999999999999999999999"
    assert first.raw["row"] == 3


def test_ing_duplicate_rows_keep_no_id():
    statement = only(sheet.parse(read("csv/ofxstatement-dutch__ing-nl_ok.csv")))
    last_two = statement.transactions[-2:]
    assert [t.amount for t in last_two] == [D("-0.31"), D("-0.31")]
    assert all(t.unique_import_id is None for t in statement.transactions)
    assert "Valutadatum" in statement.transactions[0].narration


def test_paypal_one_statement_per_currency():
    statements = sheet.parse(read("csv/bank-statement-import__paypal_statement_en.csv"))
    by_currency = {s.currency: s for s in statements}
    assert set(by_currency) == {"EUR", "USD"}
    eur = by_currency["EUR"]
    assert len(eur.transactions) == 8
    assert eur.transactions[0].amount == D("-1058.09")
    assert eur.transactions[0].label == "General Withdrawal - Bank Account"
    assert eur.transactions[0].unique_import_id == "TID1"
    assert eur.balance_start == D("0.75") and eur.balance_end == D("0.75")
    assert len(by_currency["USD"].transactions) == 11


def test_paypal_activity_and_spanish():
    statements = sheet.parse(read("csv/bank-statement-import__paypal_activity_en.csv"))
    assert {s.currency for s in statements} == {"USD", "EUR", "AUD"}
    usd = next(s for s in statements if s.currency == "USD")
    assert usd.transactions[0].date == datetime.date(2015, 12, 29)
    assert usd.transactions[0].amount == D("79.75")  # net = 84.00 gross - 4.25 fee
    spanish = only(sheet.parse(read("csv/bank-statement-import__paypal_statement_es.csv")))
    assert spanish.transactions[0].date == datetime.date(2020, 1, 2)
    assert spanish.transactions[0].amount == D("47.59")
    assert spanish.balance_end == D("4710.30")


def test_foreign_amount_columns():
    statement = only(sheet.parse(read("csv/bank-statement-import__sample_statement_en.csv")))
    second = statement.transactions[1]
    assert (second.amount, second.foreign_amount, second.foreign_currency) == (
        D("1525.00"),
        D("1000.00"),
        "EUR",
    )
    assert statement.transactions[0].foreign_amount is None


def test_no_header_with_explicit_mapping():
    """The mapping OCA's test uses: detection cannot tell amount columns apart."""
    data = read("csv/bank-statement-import__original_currency_no_header.csv")
    mapping = SheetMapping(
        has_header=False,
        date=0,
        label=[1, 7],
        foreign_currency=2,
        amount=3,
        foreign_amount=4,
        partner_name=5,
        account_number=6,
        date_format="%m/%d/%Y",
    )
    transaction = only(sheet.parse(data, mapping)).transactions[0]
    assert transaction.label == "Your payment INV0001"
    assert transaction.amount == D("1525.00")
    assert transaction.foreign_amount == D("1000.00")  # sign follows the amount
    assert transaction.foreign_currency == "EUR"
    detected = sheet.detect(data)
    assert detected.warnings  # the alternative amount column is reported


def test_oca_convention_by_mapping():
    data = read("csv/bank-statement-import__meta_data_separated_credit_debit.csv")
    mapping = sheet.detect(data)
    mapping.invert_sign = True
    mapping.date_format = "%m/%d/%y"
    statement = only(sheet.parse(data, mapping.to_dict()))
    assert statement.transactions[0].amount == D("50.00")
    assert statement.transactions[-1].amount == D("-1300.00")
    assert statement.transactions[0].date == datetime.date(2020, 1, 4)


def test_sparkasse_simple2_latin1():
    statement = only(
        sheet.parse(read("csv/ofxstatement-sparkasse-freiburg__sparkasse_csv-camt_simple2.csv"))
    )
    assert statement.account_number == "12345678"
    first = statement.transactions[0]
    assert first.partner_name == "1u1 Telecom GmbH Elgendorfer Str. 57"
    assert first.value_date == datetime.date(2018, 4, 4)
    assert any("DÜBEL" in (t.partner_name or "") for t in statement.transactions)


@pytest.mark.parametrize(
    "name",
    [
        "csv/bank-statement-import__empty_statement_en.csv",
        "csv/bank-statement-import__paypal_empty_activity.csv",
        "xlsx/bank-statement-import__empty_statement_en.xlsx",
    ],
)
def test_header_only_files(name):
    with pytest.raises(ParseError, match="no transaction"):
        sheet.parse(read(name))


def test_balance_history_is_refused():
    with pytest.raises(ParseError, match="balance history"):
        sheet.parse(read("csv/ofxstatement-dutch__ing-nl_balance_history.csv"))


def test_xls_named_xlsx_content_and_real_xls():
    data = read("xlsx/bank-statement-import__adyen_test_invalid.xls")
    assert xlsx.sniff(data) and not csv_format.sniff(data)
    assert len(only(xlsx.parse(data)).transactions) == 21
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert xlsx.sniff(ole)
    with pytest.raises(ParseError, match="XLS \\(Excel 97\\) files are not supported"):
        xlsx.parse(ole)
    with pytest.raises(ParseError, match="XLS"):
        sheet.parse(ole)


def test_sniffers():
    assert csv_format.sniff(read("csv/ofxstatement-austrian__livebank.csv"))
    assert csv_format.sniff(read("csv/bank-statement-import__balance.csv"))
    assert not csv_format.sniff(read("xlsx/bank-statement-import__adyen_test.xlsx"))
    assert xlsx.sniff(read("xlsx/bank-statement-import__adyen_test.xlsx"))
    assert not xlsx.sniff(read("csv/bank-statement-import__balance.csv"))
    for other in (
        b"<?xml version='1.0'?><Document/>",
        b"OFXHEADER:100\n",
        b"!Type:Bank\nD01/02/2020\n",
        b":20:STMT\n:25:123\n",
        b"%PDF-1.4\n%\xe2\xe3\n1 0 obj",
        b"just one line of text\n",
    ):
        assert not csv_format.sniff(other), other
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert not xlsx.sniff(buffer.getvalue())


CSV = b"Date;Label;Amount\n01.02.2024;Coffee;-3,50\n02.02.2024;Salary;2.000,00\n"


def test_simple_csv_and_preview():
    mapping = sheet.detect(CSV)
    assert (mapping.delimiter, mapping.decimal_sep) == (";", ",")
    statement = only(sheet.parse(CSV))
    assert [t.amount for t in statement.transactions] == [D("-3.50"), D("2000.00")]
    table = sheet.preview(CSV, mapping, rows=1)
    assert table == {
        "header": ["Date", "Label", "Amount"],
        "rows": [["01.02.2024", "Coffee", "-3,50"]],
    }


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>\nendobj\n", "PDF"),
        (b"Date;Label;Amount\n", "no transaction"),
    ],
)
def test_malformed_files(data, message):
    with pytest.raises(ParseError, match=message):
        sheet.parse(data)


def test_bad_amount_names_row_and_column():
    data = CSV + b"03.02.2024;Broken;12,3x\n"
    mapping = sheet.detect(CSV)
    with pytest.raises(ParseError) as info:
        sheet.parse(data, mapping)
    assert info.value.where == "row 4, column 'Amount'"
    assert "'12,3x' is not a number" in str(info.value)


def test_feb_31_is_an_error():
    mapping = sheet.detect(CSV)
    with pytest.raises(ParseError) as info:
        sheet.parse(CSV + b"31.02.2024;Never;1,00\n", mapping)
    assert info.value.where == "row 4, column 'Date'"
    # detection does not accept a format that fails on one value either
    with pytest.raises(ParseError):
        only(sheet.parse(CSV + b"31.02.2024;Never;1,00\n"))


def test_wrong_encoding_is_reported():
    data = read("csv/ofxstatement-austrian__ing-diba-at.csv")
    mapping = sheet.detect(data)
    mapping.encoding = "utf-8"
    with pytest.raises(ParseError, match="not valid utf-8") as info:
        sheet.parse(data, mapping)
    assert info.value.where == "line 1"


def test_mapping_round_trip_and_validation():
    mapping = sheet.detect(read("csv/ofxstatement-dutch__ing-nl_ok.csv"))
    assert SheetMapping.from_dict(mapping.to_dict()) == mapping
    for bad in (
        {"date": "Date", "amount": "Amount", "amount_mode": "sum"},
        {"date": "Date", "amount_mode": "debit_credit", "debit": "D"},
        {"date": "Date", "amount": "A", "decimal_sep": ";"},
        {"date": "Date", "amount": "A", "date_format": "%d/%m"},
        {"date": "Date", "amount": "A", "header_rows": -1},
        {"date": "Date", "amount": "A", "encoding": "klingon"},
        {"date": "Date", "amount": "A", "nonsense": 1},
        {"date": -2, "amount": "A"},
    ):
        with pytest.raises(ParseError):
            SheetMapping.from_dict(bad)


def test_unknown_column_name():
    mapping = SheetMapping(date="Date", amount="Betrag", label=["Label"])
    with pytest.raises(ParseError, match="no column 'Betrag'"):
        sheet.parse(CSV.replace(b";", b","), mapping)


def test_descending_rows_balance():
    data = b"Date,Label,Amount,Balance\n2024-03-02,B,-10.00,90.00\n2024-03-01,A,50.00,100.00\n"
    statement = only(sheet.parse(data))
    assert (statement.balance_start, statement.balance_end) == (D("50.00"), D("90.00"))


def test_amount_parser_decorations():
    parse = sheet._AmountParser(",", ".")
    assert parse("'579,68 USD") == D("579.68")
    assert parse("'USD 9.126,07") == D("9126.07")
    assert parse("(12,50)") == D("-12.50")
    assert parse("12,50-") == D("-12.50")
    for bad in ("1.23.4", "12,3x", "1e5", "NaN", "1.2345,00"):
        with pytest.raises(ValueError):
            parse(bad)


def test_date_parser_strict():
    parse = sheet._DateParser("%d.%m.%y")
    assert parse("28.03.18") == datetime.date(2018, 3, 28)
    for bad in ("31.02.18", "28.13.18", "2018-03-28", "28.03.2018"):
        with pytest.raises(ValueError):
            parse(bad)


# -- the batch path must give exactly what the row path gives ----------------


def _without_fast_path(monkeypatch, data, **options):
    monkeypatch.setattr(sheet._Parser, "_fast_batch", lambda self: None)
    try:
        return csv_format.parse(data, **options)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize(
    "path", sorted((CORPUS / "csv").glob("*.csv")), ids=lambda path: path.name
)
def test_batch_path_matches_row_path_on_corpus(path, monkeypatch):
    data = path.read_bytes()
    try:
        fast = csv_format.parse(data)
    except ParseError as error:
        with pytest.raises(ParseError) as slow_error:
            _without_fast_path(monkeypatch, data)
        assert str(slow_error.value) == str(error)
        return
    slow = _without_fast_path(monkeypatch, data)
    assert [s.to_json() for s in fast] == [s.to_json() for s in slow]


def test_batch_path_falls_back_on_odd_rows(monkeypatch):
    data = (
        b"Date;Amount;Name;Balance;Memo\n"
        b"2024-01-02;1.00;A  B;101.00;x\n"
        b"2024-01-03; ;C;101.00;y\n"  # empty amount: the general path words it
    )
    mapping = {
        "date": "Date",
        "amount": "Amount",
        "partner_name": "Name",
        "balance": "Balance",
        "delimiter": ";",
    }
    with pytest.raises(ParseError, match="the amount is empty") as error:
        csv_format.parse(data, mapping=mapping)
    assert error.value.where == "row 3, column 'Amount'"
    rows = data.replace(b"2024-01-03; ;C", b"2024-01-03;2.5;C ").replace(
        b";x\n", b"\n"
    )  # a short row, an unclean name
    fast = csv_format.parse(rows, mapping=mapping)
    slow = _without_fast_path(monkeypatch, rows, mapping=mapping)
    assert [s.to_json() for s in fast] == [s.to_json() for s in slow]
    assert [t.partner_name for t in fast[0].transactions] == ["A B", "C"]
    assert fast[0].transactions[1].raw == {"row": 3, "Memo": "y"}


def _long_csv(rows, special=None, at=7000, footer=(), blank_every=0):
    """A CSV of ``rows`` ambiguous D/M dates, with the ``special`` row placed
    after row ``at`` (far past the detection sample, far from the end), then
    ``footer`` rows and trailing blank lines."""
    lines = ["Datum;Omschrijving;Bedrag"]
    for index in range(rows):
        day = index % 12 + 1
        lines.append(f"{day:02d}/{day:02d}/2024;Betaling {index};-{index % 90 + 1},25")
        if blank_every and index % blank_every == 0:
            lines.append("")
        if special and index == at:
            lines.append(special)
    lines.extend(footer)
    return ("\n".join(lines) + "\n\n\n").encode()


@pytest.mark.parametrize("blank_every", [0, 997])
def test_detection_reads_dates_past_the_sample(blank_every):
    """Only a row far past the sample rows proves month-first order (with and
    without blank lines in the blocks read past the sample)."""
    # day-first is the pick for this European-looking file when nothing says otherwise
    assert sheet.detect(_long_csv(9000)).date_format == "%d/%m/%Y"
    data = _long_csv(9000, special="03/25/2024;Late;-1,00", blank_every=blank_every)
    mapping = sheet.detect(data)
    assert mapping.date_format == "%m/%d/%Y"
    statement = only(csv_format.parse(data))
    assert len(statement.transactions) == 9001
    assert statement.transactions[7001].date == datetime.date(2024, 3, 25)


@pytest.mark.parametrize("at", [7000, 8999])
def test_detection_refuses_a_late_impossible_date(at):
    """A 31/02 after the sample (in a block, or among the last rows) fits no
    date format: detection does not guess."""
    data = _long_csv(9000, special="31/02/2024;Wrong;-1,00", at=at)
    with pytest.raises(ParseError):
        csv_format.parse(data)


def test_detection_footer_after_a_long_table():
    """Totals after thousands of rows (and trailing blank lines) are a footer."""
    data = _long_csv(
        6000,
        special="13/01/2024;Day first;-2,00",
        at=5000,
        footer=["", "Totaal;;-1000,00", "Aantal;6001;"],
    )
    mapping = sheet.detect(data)
    assert mapping.footer_rows == 2
    assert mapping.date_format == "%d/%m/%Y"
    statement = only(csv_format.parse(data))
    assert len(statement.transactions) == 6001
    assert statement.transactions[-1].label == "Betaling 5999"


def test_batch_path_field_order():
    """The batch path builds Transaction positionally: pin the field order."""
    import dataclasses

    from account_bank_statement_import.parsers.result import Transaction

    assert [field.name for field in dataclasses.fields(Transaction)] == [
        "date",
        "amount",
        "value_date",
        "currency",
        "foreign_amount",
        "foreign_currency",
        "label",
        "narration",
        "ref",
        "unique_import_id",
        "partner_name",
        "account_number",
        "counterparty_bic",
        "transaction_type",
        "raw",
    ]


def test_wrong_encoding_far_in_a_large_file_names_its_line():
    """Rows are decoded on the fly: a bad byte after megabytes of good text
    still fails the parse with the line it is on."""
    good = _long_csv(60000)  # about 3 MB
    data = good.replace(b"Betaling 59000;", "Betaling 59000 café;".encode("cp1252"))
    mapping = sheet.detect(good)
    mapping.encoding = "utf-8"
    with pytest.raises(ParseError, match="not valid utf-8") as info:
        sheet.parse(data, mapping)
    assert info.value.where == "line 59002"
    # detection reads it as cp1252, and the parse keeps the accent
    statement = only(sheet.parse(data))
    assert statement.transactions[59000].label == "Betaling 59000 café"


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be"])
def test_byte_order_marks(codec):
    text = "Datum;Omschrijving;Bedrag\n13/01/2024;Crème brûlée;-2,50\n"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    statement = only(sheet.parse(data))
    assert statement.transactions[0].label == "Crème brûlée"
    assert statement.transactions[0].amount == D("-2.50")
    # the same with the encoding given, as a saved mapping does
    mapping = sheet.detect(data)
    mapping.encoding = {"utf-8-sig": "utf-8", "utf-16": "utf-16", "utf-16-be": "utf-16-be"}[codec]
    assert only(sheet.parse(data, mapping)).transactions[0].label == "Crème brûlée"


# -- the batch path against the row path, on generated tables ----------------

_CELLS = {
    "date": ["2024-01-02", " 2024-01-03 ", "2024-02-29", "", "2024-02-30", "02/01/2024"],
    "amount": [
        *("12.50", "-3", "+7.25", "0", "0.00", "1,234.56", "(4.50)", "", "x", "12,5", " -1 "),
        *("1e5", "5.", ".5", "NaN"),  # Decimal() reads these; the parser refuses them
    ],
    "balance": ["100.00", "", "1,000.00", "-5", "abc"],
    "text": ["Shop", "", "  two  spaces ", "'quoted'", "tab\there", "Émile", "''", "a\nb"],
    "currency": ["EUR", "eur", "", "USD"],
}
_GOOD = {
    "date": ["2024-01-02", "2024-03-31", "2023-12-01"],
    "amount": ["12.50", "-3", "0"],
    "balance": ["100.00", "250.10", "-5"],
    "currency": ["EUR"],
}
_COLUMNS = (
    ("Date", "date"),
    ("Amount", "amount"),
    ("Balance", "balance"),
    ("Label", "text"),
    ("Memo", "text"),
    ("Name", "text"),
    ("Currency", "currency"),
    ("Ref", "text"),
    ("Extra", "text"),
)


@st.composite
def _tables(draw):
    """A CSV (bytes) of rows mostly well formed, with odd cells, short and
    blank rows mixed in, and a mapping with options drawn too."""
    rows = []
    for _index in range(draw(st.integers(1, 40))):
        shape = draw(st.sampled_from(["good"] * 6 + ["odd", "short", "blank"]))
        if shape == "blank":
            rows.append("")
            continue
        cells = []
        for _name, kind in _COLUMNS:
            if shape == "good" and kind != "text":
                cells.append(draw(st.sampled_from(_GOOD[kind])))
            else:
                cells.append(draw(st.sampled_from(_CELLS[kind])))
        if shape == "short":
            cells = cells[: draw(st.integers(1, len(cells) - 1))]
        rows.append(";".join(f'"{cell}"' for cell in cells))
    header = ";".join(name for name, _kind in _COLUMNS)
    footer = draw(st.integers(0, 2))
    mapping = {
        "date": "Date",
        "amount": "Amount",
        "balance": draw(st.sampled_from([None, "Balance"])),
        "label": draw(st.sampled_from([["Label"], ["Label", "Memo"], []])),
        "notes": draw(st.sampled_from([[], ["Memo"], ["Memo", "Extra"]])),
        "partner_name": draw(st.sampled_from([None, "Name"])),
        "currency": draw(st.sampled_from([None, "Currency"])),
        "ref": draw(st.sampled_from([None, "Ref"])),
        "delimiter": ";",
        "thousands_sep": ",",
        "date_format": "%Y-%m-%d",
        "invert_sign": draw(st.booleans()),
        "skip_zero_amount": draw(st.booleans()),
        "footer_rows": footer,
    }
    return ("\n".join([header, *rows]) + "\n").encode(), mapping


def _outcome(data, mapping):
    try:
        return [statement.to_json() for statement in csv_format.parse(data, mapping=mapping)]
    except ParseError as error:
        return ("error", str(error), str(error.where))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables(), st.sampled_from([1, 3, 2048]))
def test_batch_path_matches_row_path(table, batch_rows):
    """Whatever the rows (odd cells, short or blank rows, footers) and the
    batch size, the batch path gives what the row path gives: the same
    statements, or the same error at the same row."""
    data, mapping = table
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sheet, "_BATCH_ROWS", batch_rows)
        fast = _outcome(data, mapping)
        patch.setattr(sheet._Parser, "_fast_batch", lambda self: None)
        slow = _outcome(data, mapping)
    assert fast == slow
