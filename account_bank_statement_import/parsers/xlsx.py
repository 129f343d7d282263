"""XLSX bank statements: sniffing here, reading in :mod:`.sheet`.

Options of :func:`parse` are those of :func:`.sheet.parse`: ``mapping`` (a
:class:`~.sheet.SheetMapping` or its dict form, ``sheet_name`` choosing the
sheet; detected when missing) and ``filename``. Excel 97 ``.xls`` files are
refused with a clear message.
"""

from . import sheet
from .errors import _lt

FORMAT = "xlsx"


def sniff(data):
    """True for an OOXML workbook: a ZIP holding ``xl/workbook.xml``.

    Excel 97 files are claimed too, so that the user gets the "save as
    XLSX" message rather than "unknown format".
    """
    return sheet.is_xls(data) or sheet.is_xlsx(data)


def parse(data, **options):
    """Parse XLSX bytes into statements; see :func:`.sheet.parse`."""
    if sheet.is_xls(data):
        raise sheet.ParseError(sheet.XLS_MESSAGE, filename=options.get("filename"))
    if not sheet.is_xlsx(data):
        raise sheet.ParseError(_lt("this is not an XLSX workbook"))
    return sheet.parse(data, **options)
