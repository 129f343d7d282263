"""CSV bank statements: sniffing here, reading in :mod:`.sheet`.

Options of :func:`parse` are those of :func:`.sheet.parse`: ``mapping`` (a
:class:`~.sheet.SheetMapping` or its dict form; detected when missing) and
``filename``.
"""

import csv

from . import sheet
from .errors import _lt

FORMAT = "csv"

_OTHER_FORMATS = (b"<?xml", b"<", b"OFXHEADER", b"!Type:", b"!Account", b":20:", b"{1:")


def sniff(data):
    """True when the first bytes decode as text split into >= 2 columns."""
    head = data[:4096]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped or stripped.startswith(_OTHER_FORMATS):
        return False
    if stripped[:1] == b"0" and stripped[:5].isdigit() and len(stripped) > 127:
        return False  # CODA: fixed 128-character records starting "0000"
    if sheet.is_xlsx(data) or sheet.is_xls(data):
        return False
    try:
        text, _encoding = sheet.decode_text(head)
    except sheet.ParseError:
        return False
    lines = [line for line in text.splitlines()[:10] if line.strip()]
    if len(data) > len(head) and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut at 4 KB
    if not lines:
        return False
    for delimiter in (",", ";", "\t", "|"):
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        if min(counts) >= 2 or (
            len(counts) > 2 and sum(c >= 2 for c in counts) >= len(counts) - 1
        ):
            return True
    return False


def parse(data, **options):
    """Parse CSV bytes into statements; see :func:`.sheet.parse`."""
    if sheet.is_xlsx(data):
        raise sheet.ParseError(_lt("this is an XLSX workbook, not a CSV file"))
    return sheet.parse(data, **options)
