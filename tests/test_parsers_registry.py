"""Format registry: detection over the corpus, ZIP archives, unknown input, CLI."""

import io
import json
import pathlib
import subprocess
import sys
import zipfile
from decimal import Decimal

import pytest

from account_bank_statement_import import parsers
from account_bank_statement_import.parsers import (
    FileTooLargeError,
    ParseError,
    UnknownFormatError,
    detect_format,
    parse_file,
)
from tests.corpus import CORPUS

REPO = pathlib.Path(__file__).resolve().parents[1]
FOLDER_FORMAT = {
    "camt053": "camt",
    "mt940": "mt940",
    "ofx": "ofx",
    "qif": "qif",
    "coda": "coda",
    "csv": "csv",
    "xlsx": "xlsx",
}
# Samples that are not statements of their folder's format at all. (The
# "invalid" Adyen .xls is an XLSX workbook under a wrong name: bytes decide.)
NOT_DETECTABLE = {
    "mt940/mt940__self-provided__invalid_statement.sta",
    "qif/quiffen__empty.qif",
}


def corpus_files():
    if not CORPUS.exists():
        return []
    return sorted(
        path
        for folder in FOLDER_FORMAT
        for path in (CORPUS / folder).glob("*")
        if ".expected." not in path.name
    )


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_detect_every_corpus_file(path):
    expected = FOLDER_FORMAT[path.parent.name]
    relative = f"{path.parent.name}/{path.name}"
    if path.suffix == ".zip":
        expected = "zip"
    data = path.read_bytes()
    if relative in NOT_DETECTABLE:
        with pytest.raises(UnknownFormatError):
            detect_format(data, path.name)
        return
    assert detect_format(data, path.name) == expected
    # the extension is only a tie-breaker: the bytes alone decide as well
    assert detect_format(data) == expected


def test_registry_order_and_availability():
    assert list(parsers.FORMATS)[:2] == ["camt", "ofx"]
    assert list(parsers.FORMATS)[-1] == "csv"  # generic text last
    assert {"camt", "mt940"} <= set(parsers.available_formats())


def test_unknown_format_lists_supported():
    with pytest.raises(UnknownFormatError, match="PDF") as info:
        parse_file(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", filename="statement.pdf")
    assert "camt" in str(info.value) and "mt940" in str(info.value)
    assert info.value.filename == "statement.pdf"
    with pytest.raises(UnknownFormatError, match="supported formats"):
        detect_format(b"\x00\x01\x02garbage")
    with pytest.raises(UnknownFormatError, match="unknown format 'pdf'"):
        parse_file(b"x", format="pdf")


def test_filename_filled_in_errors():
    data = (CORPUS / "mt940/mt940__self-provided__february_30.sta").read_bytes()
    with pytest.raises(ParseError) as info:
        parse_file(data, filename="feb.sta")
    assert str(info.value) == (
        "feb.sta, line 6 (:61:): invalid date '160230' "
        "(expected format %y%m%d): day is out of range for month"
    )


def test_oversize_refused_before_detection():
    with pytest.raises(FileTooLargeError):
        parse_file(b"x" * 100, max_size=10)


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_corpus_zip():
    # MANIFEST: 2 statements (1234Test/2, 1234Test/3). It says "4 per
    # statement" but also "lines sequence [1,2,3]": each member holds 3 Ntry
    # with one TxDtls each, so 3 lines, split or not.
    data = (CORPUS / "camt053/bank-statement-import__test-camt053.zip").read_bytes()
    statements = parse_file(data, filename="test.zip", split_batches=True)
    assert [stmt.name for stmt in statements] == ["1234Test/2", "1234Test/3"]
    assert [len(stmt.transactions) for stmt in statements] == [3, 3]
    assert statements[0].account_number == "NL77ABNA0574908765"


def test_zip_of_mixed_formats_and_member_errors():
    camt = (CORPUS / "camt053/camt__camt053.v2.minimal.xml").read_bytes()
    mt = (CORPUS / "mt940/mt940__jejik__triodos.sta").read_bytes()
    statements = parse_file(zip_bytes({"a.xml": camt, "dir/b.sta": mt}), filename="x.zip")
    assert [stmt.raw.get("message", "mt940") for stmt in statements] == ["camt.053", "mt940"]
    assert statements[1].transactions[0].amount == Decimal("-15.70")
    bad = zip_bytes({"a.xml": camt, "bad.sta": b":20:X\n:60F:C24023OEUR1,00\n"})
    with pytest.raises(ParseError) as info:
        parse_file(bad, filename="x.zip")
    assert info.value.filename == "x.zip/bad.sta"
    with pytest.raises(UnknownFormatError) as info:
        parse_file(zip_bytes({"notes.pdf": b"%PDF-1.4"}), filename="x.zip")
    assert info.value.filename == "x.zip/notes.pdf"


def test_zip_nested_empty_bomb():
    inner = zip_bytes({"a.txt": b"hello"})
    with pytest.raises(ParseError, match="nested") as info:
        parse_file(zip_bytes({"inner.zip": inner}), filename="o.zip")
    assert info.value.filename == "o.zip/inner.zip"
    with pytest.raises(ParseError, match="empty"):
        parse_file(zip_bytes({}), filename="e.zip")
    # 20 MB of zeros compresses to ~20 KB: refused while unpacking
    bomb = zip_bytes({"bomb.xml": b"\0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(FileTooLargeError):
        parse_file(bomb, filename="bomb.zip", max_size=1024 * 1024)
    with pytest.raises(ParseError, match="invalid ZIP"):
        parse_file(b"PK\x03\x04garbage", format="zip")


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "account_bank_statement_import.parsers", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO)},
        check=False,
    )


def test_cli_json_output():
    result = run_cli(
        str(CORPUS / "camt053/bank-statement-import__test-camt053.xml"), "--split-batches"
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["format"] == "camt"
    txs = output["statements"][0]["transactions"]
    assert [tx["amount"] for tx in txs] == ["-754.25", "-564.05", "-100.00", "1405.31"]
    result = run_cli(
        str(CORPUS / "camt053/bank-statement-import__test-camt053-bookgdt-dttm.xml"),
        "--option",
        "tz=Europe/Amsterdam",
        "--format",
        "camt",
    )
    assert json.loads(result.stdout)["statements"][0]["transactions"][0]["date"] == ("2014-01-05")


def test_cli_errors():
    result = run_cli(str(CORPUS / "mt940/mt940__self-provided__february_30.sta"))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "error: mt940__self-provided__february_30.sta, line 6 (:61:): invalid date "
        "'160230' (expected format %y%m%d): day is out of range for month"
    )
    assert "Traceback" not in result.stderr
    result = run_cli(str(CORPUS / "camt053/camt__camt053.v2.minimal.xml"), "--option", "bogus=1")
    assert result.returncode == 1 and "invalid option" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("/nonexistent/file.xml")
    assert result.returncode == 1 and "No such file" in result.stderr
