"""Tests of the shared parser helpers (parsers/common.py)."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from account_bank_statement_import.parsers import common
from account_bank_statement_import.parsers.errors import FileTooLargeError, ParseError


def test_check_size():
    common.check_size(b"x" * 10, limit=10)
    common.check_size(b"x" * 10, limit=None)
    with pytest.raises(FileTooLargeError, match="limit of 9"):
        common.check_size(b"x" * 10, limit=9)
    assert common.MAX_FILE_SIZE >= 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("data", "declared", "expected", "codec"),
    [
        ("Zoë".encode(), None, "Zoë", "utf-8"),
        (b"\xef\xbb\xbfZo\xc3\xab", None, "Zoë", "utf-8-sig"),
        ("Zoë".encode("utf-16"), None, "Zoë", None),
        (b"Zo\xeb \x80", None, "Zoë €", "cp1252"),
        (b"Zo\xeb", "latin-1", "Zoë", "iso8859-1"),
        (b"\x81\x8d", None, "\x81\x8d", "latin-1"),  # undefined in cp1252: kept
        ("Zoë".encode(), "no-such-codec", "Zoë", "utf-8"),
    ],
)
def test_decode_text(data, declared, expected, codec):
    assert common.decode_text(data, declared) == expected
    if codec:
        assert common.guess_encoding(data, declared) == codec


def test_decode_text_declared_wrong_falls_back():
    # Declared ASCII but the bytes are UTF-8: the declaration loses.
    assert common.decode_text("Müller".encode(), "ascii") == "Müller"


def test_parse_date_strict():
    assert common.parse_date(" 2024-02-29 ", "%Y-%m-%d") == datetime.date(2024, 2, 29)
    assert common.parse_date("31.12.2023", "%d.%m.%Y") == datetime.date(2023, 12, 31)
    with pytest.raises(ParseError, match="2023-02-31") as info:
        common.parse_date("2023-02-31", "%Y-%m-%d", where="row 3")
    assert info.value.where == "row 3"
    with pytest.raises(ParseError):
        common.parse_date("2023-01-01 junk", "%Y-%m-%d")
    with pytest.raises(ParseError):
        common.parse_date(None, "%Y-%m-%d")


def test_parse_iso_date():
    assert common.parse_iso_date("2014-01-05") == datetime.date(2014, 1, 5)
    for bad in ("2014-02-30", "2014-1-5", "20140105", "", "2014-13-01"):
        with pytest.raises(ParseError):
            common.parse_iso_date(bad, where="element X")


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("1234.56", {}, Decimal("1234.56")),
        (" -0.10 ", {}, Decimal("-0.10")),
        ("+3", {}, Decimal("3")),
        ("1.234,56", {"decimal_sep": ",", "thousands_sep": "."}, Decimal("1234.56")),
        ("1 234,5", {"decimal_sep": ",", "thousands_sep": " "}, Decimal("1234.5")),
        ("1,234.56", {"thousands_sep": ","}, Decimal("1234.56")),
        ("000000004433,52", {"decimal_sep": ","}, Decimal("4433.52")),
        ("9,", {"decimal_sep": ","}, Decimal("9")),
        (",5", {"decimal_sep": ","}, Decimal("0.5")),
    ],
)
def test_parse_decimal(text, kwargs, expected):
    value = common.parse_decimal(text, **kwargs)
    assert value == expected and isinstance(value, Decimal)


@pytest.mark.parametrize(
    "text", ["", "abc", "1e5", "NaN", "Infinity", "1.2.3", "--1", "1,5", None, "1 000"]
)
def test_parse_decimal_rejects(text):
    with pytest.raises(ParseError, match="invalid amount"):
        common.parse_decimal(text, where="row 2")


def test_parse_decimal_comma_mode_rejects_dot():
    with pytest.raises(ParseError):
        common.parse_decimal("1.5", decimal_sep=",")


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<d>&x;</d>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"""


@pytest.mark.parametrize("data", [XXE, LAUGHS, XXE.decode().encode("utf-16")])
def test_check_xml_prolog_refuses_entities(data):
    with pytest.raises(ParseError, match="entity") as info:
        common.check_xml_prolog(data)
    assert info.value.where == "line 2"


def test_check_xml_prolog_accepts_plain_doctype():
    common.check_xml_prolog(b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "d.dtd"><d/>')
    common.check_xml_prolog(b"<d>no doctype</d>")


def test_safe_parser_does_not_expand_entities():
    parser = common.make_xml_parser()
    root = etree.fromstring(XXE, parser)
    assert "root:" not in etree.tostring(root, encoding="unicode")
    options = common.xml_parser_options()
    assert options["resolve_entities"] is False and options["no_network"] is True
    assert options["load_dtd"] is False and options["huge_tree"] is False


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["a", "bc", " ", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028"]
        ),
        max_size=60,
    ).map("".join),
    st.integers(0, 8),
)
def test_iter_lines_is_splitlines(text, chunk_size):
    """Lines read a piece at a time are the lines of the whole text, whatever
    line breaks the pieces end near."""
    assert list(common.iter_lines(text, chunk_size)) == text.splitlines()
