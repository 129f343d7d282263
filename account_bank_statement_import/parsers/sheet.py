"""CSV and XLSX ("sheet") statements: a column mapping, reading and parsing.

A spreadsheet export has no fixed layout, so parsing is driven by a
:class:`SheetMapping` that says which column holds what and how values are
written. :func:`detect` (in :mod:`.sheet_detect`) proposes a mapping the user
can correct; :func:`parse` applies one (detecting it when none is given).

Options of :func:`parse` (keyword-only):

``mapping``
    a :class:`SheetMapping` or its ``to_dict()`` form; detected when missing.
``filename``
    only used to word messages and as a detection hint.

Rows are numbered from 1 as a spreadsheet shows them (the header row and
skipped title rows count); columns are named by their header text, or
``column 3`` (1-based) when the file has no header.

Amounts are signed from the account holder's view. ``amount_mode`` says how:
``signed`` (one signed column), ``debit_credit`` (two columns, their absolute
values taken: debit is money out, credit money in) or ``amount_dc`` (one
column plus an indicator column such as ``D``/``C``, ``Af``/``Bij``,
``S``/``H``; the indicator wins over any sign written in the amount).
``invert_sign`` flips the result, for exports written from the bank's books.
"""

import codecs
import csv
import dataclasses
import datetime
import io
import itertools
import re
import typing
import zipfile
from decimal import Decimal, InvalidOperation
from itertools import compress, islice, repeat
from operator import contains, is_, itemgetter, methodcaller, neg, not_, or_

from .common import decode_as, guess_encoding, pausing_gc
from .common import decode_text as common_decode_text
from .errors import ParseError, Text, _lt
from .result import ParsedStatement, Transaction

AMOUNT_MODES = ("signed", "debit_credit", "amount_dc")

# Roles holding one column reference (header name or 0-based index).
SINGLE_ROLES = (
    "date",
    "value_date",
    "amount",
    "debit",
    "credit",
    "dc_indicator",
    "partner_name",
    "account_number",
    "ref",
    "unique_id",
    "balance",
    "balance_before",
    "currency",
    "foreign_amount",
    "foreign_currency",
    "own_account",
)
# Roles holding a list of columns whose texts are joined.
MULTI_ROLES = ("label", "notes")

DEFAULT_DEBIT_VALUES = ("D", "DR", "DEBIT", "DEBET", "AF", "S", "SOLL", "-")
DEFAULT_CREDIT_VALUES = ("C", "CR", "CREDIT", "BIJ", "H", "HABEN", "+")

# A workbook that large holds no bank statement; stop reading after that many
# blank rows in a row (a sheet's "dimension" can claim a million rows).
_MAX_BLANK_ROWS = 1000

XLS_MESSAGE = _lt("XLS (Excel 97) files are not supported, save as XLSX or CSV")


@dataclasses.dataclass
class SheetMapping:
    """How to read one bank's CSV/XLSX export.

    Column references are header names (matched exactly, then ignoring case
    and surrounding blanks) or 0-based column indexes. ``label`` and ``notes``
    take a list of columns whose non-empty texts are joined with a space.
    ``balance`` is the running balance after the row, ``balance_before`` the
    balance before it (some banks, e.g. ASN, write that one). ``own_account``
    is a column repeating the account holder's own account number.

    ``header_rows`` is the number of rows before the header (or before the
    first data row when ``has_header`` is false); ``footer_rows`` rows at the
    end are ignored. Blank rows are always skipped. ``warnings`` lists what
    detection was unsure about; it is informative only. Each is a
    :class:`.errors.Text` (English text with its translatable template);
    :meth:`to_dict` writes it as a dict, and plain strings (mappings saved
    before templates) are kept as they are.
    """

    date: str | int | None = None
    value_date: str | int | None = None
    amount: str | int | None = None
    debit: str | int | None = None
    credit: str | int | None = None
    dc_indicator: str | int | None = None
    debit_values: list = dataclasses.field(default_factory=lambda: list(DEFAULT_DEBIT_VALUES))
    credit_values: list = dataclasses.field(default_factory=lambda: list(DEFAULT_CREDIT_VALUES))
    label: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)
    partner_name: str | int | None = None
    account_number: str | int | None = None
    ref: str | int | None = None
    unique_id: str | int | None = None
    balance: str | int | None = None
    balance_before: str | int | None = None
    currency: str | int | None = None
    foreign_amount: str | int | None = None
    foreign_currency: str | int | None = None
    own_account: str | int | None = None
    amount_mode: str = "signed"
    invert_sign: bool = False
    skip_zero_amount: bool = False
    encoding: str | None = None
    delimiter: str = ","
    quotechar: str = '"'
    decimal_sep: str = "."
    thousands_sep: str | None = None  # None: the other of "." and ","
    date_format: str = "%Y-%m-%d"
    value_date_format: str | None = None  # defaults to date_format
    header_rows: int = 0
    has_header: bool = True
    footer_rows: int = 0
    statement_account_number: str | None = None
    statement_currency: str | None = None
    sheet_name: str | None = None
    warnings: list = dataclasses.field(default_factory=list)

    def __post_init__(self):
        # Saved mappings hold warnings as to_dict() wrote them: a dict per Text
        # (English text, template, params), or a plain string before templates.
        self.warnings = [Text.from_json(warning) for warning in self.warnings or ()]
        self.validate()

    def validate(self):
        """Raise :class:`ParseError` when a value is not usable."""
        for role in SINGLE_ROLES:
            _check_column_ref(role, getattr(self, role))
        for role in MULTI_ROLES:
            value = getattr(self, role)
            if value is None:
                value = []
            elif isinstance(value, str | int):
                value = [value]
            value = list(value)
            for ref in value:
                _check_column_ref(role, ref)
            setattr(self, role, value)
        if self.amount_mode not in AMOUNT_MODES:
            raise ParseError(
                _lt(
                    "amount_mode must be one of %(values)s, not %(amount_mode)r",
                    values=", ".join(AMOUNT_MODES),
                    amount_mode=self.amount_mode,
                )
            )
        if self.date is None:
            raise ParseError(_lt("the mapping names no date column"))
        needed = {
            "signed": ("amount",),
            "debit_credit": ("debit", "credit"),
            "amount_dc": ("amount", "dc_indicator"),
        }[self.amount_mode]
        for role in needed:
            if getattr(self, role) is None:
                raise ParseError(
                    _lt(
                        "amount_mode %(amount_mode)r needs a %(role)s column",
                        amount_mode=self.amount_mode,
                        role=role,
                    )
                )
        for name in ("delimiter", "quotechar"):
            value = getattr(self, name)
            if not isinstance(value, str) or len(value) != 1 or value in "\r\n":
                raise ParseError(
                    _lt("%(name)s must be one character, not %(value)r", name=name, value=value)
                )
        if self.decimal_sep not in (".", ","):
            raise ParseError(
                _lt(
                    "decimal_sep must be '.' or ',', not %(decimal_sep)r",
                    decimal_sep=self.decimal_sep,
                )
            )
        if self.thousands_sep is None:
            self.thousands_sep = "," if self.decimal_sep == "." else "."
        if self.thousands_sep not in ("", ".", ",", " ", "'", "\u00a0", "\u202f"):
            raise ParseError(
                _lt(
                    "thousands_sep %(thousands_sep)r is not supported",
                    thousands_sep=self.thousands_sep,
                )
            )
        if self.thousands_sep == self.decimal_sep:
            raise ParseError(_lt("decimal_sep and thousands_sep must differ"))
        for name in ("date_format", "value_date_format"):
            value = getattr(self, name)
            if value is not None:
                _DateParser(value)  # raises ParseError when unusable
        for name in ("header_rows", "footer_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ParseError(_lt("%(name)s must be a non-negative integer", name=name))
        if self.encoding:
            try:
                codecs.lookup(self.encoding)
            except LookupError as error:
                raise ParseError(
                    _lt("unknown encoding %(encoding)r", encoding=self.encoding)
                ) from error
        self.debit_values = [str(v).strip() for v in self.debit_values]
        self.credit_values = [str(v).strip() for v in self.credit_values]
        if {v.upper() for v in self.debit_values} & {v.upper() for v in self.credit_values}:
            raise ParseError(_lt("a value cannot mean both debit and credit"))

    def to_dict(self):
        """Return a JSON-able dict; :meth:`from_dict` reads it back.

        Each warning is a dict (``text``, ``template``, ``params``: see
        :meth:`.errors.Text.to_json`) so the Odoo layer can translate it.
        """
        values = dataclasses.asdict(self)
        values["warnings"] = [
            warning.to_json() if isinstance(warning, Text) else warning
            for warning in self.warnings
        ]
        return values

    @classmethod
    def from_dict(cls, values):
        """Build a mapping from :meth:`to_dict` output, rejecting unknown keys."""
        if not isinstance(values, dict):
            raise ParseError(_lt("a sheet mapping must be a JSON object"))
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ParseError(_lt("unknown mapping keys: %(values)s", values=", ".join(unknown)))
        try:
            return cls(**values)
        except TypeError as error:
            raise ParseError(_lt("invalid sheet mapping: %(error)s", error=error)) from error


def _check_column_ref(role, ref):
    if ref is None:
        return
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        raise ParseError(_lt("column for %(role)s must be a header name or an index", role=role))
    if isinstance(ref, int) and ref < 0:
        raise ParseError(_lt("column index for %(role)s must not be negative", role=role))
    if isinstance(ref, str) and not ref.strip():
        raise ParseError(_lt("column name for %(role)s is empty", role=role))


# --------------------------------------------------------------------------
# Value parsing


class _DateParser:
    """Strict ``strptime``-style parsing, compiled to a regex and cached.

    ``datetime.strptime`` costs ~5 us a call; bank files repeat a few hundred
    dates, so a compiled pattern plus a cache keeps parsing near csv speed.
    """

    _DIRECTIVES: typing.ClassVar[dict] = {
        "d": ("day", r"(\d{1,2})"),
        "m": ("month", r"(\d{1,2})"),
        "Y": ("year", r"(\d{4})"),
        "y": ("year2", r"(\d{2})"),
        "H": ("hour", r"(\d{1,2})"),
        "M": ("minute", r"(\d{1,2})"),
        "S": ("second", r"(\d{1,2})"),
        "f": (None, r"(\d{1,6})"),
    }

    def __init__(self, fmt):
        if not isinstance(fmt, str) or "%" not in fmt:
            raise ParseError(_lt("date format %(fmt)r has no %% directive", fmt=fmt))
        self.fmt = fmt
        self._cache = {}
        self._names = []
        pattern = []
        index = 0
        self._fallback = False
        while index < len(fmt):
            char = fmt[index]
            if char == "%":
                directive = fmt[index + 1 : index + 2]
                if directive in self._DIRECTIVES:
                    name, regex = self._DIRECTIVES[directive]
                    self._names.append(name)
                    pattern.append(regex)
                elif directive == "%":
                    pattern.append("%")
                elif directive in "bBaAjpzZ" and directive:
                    self._fallback = True  # month names etc.: use strptime
                else:
                    raise ParseError(
                        _lt(
                            "date format %(fmt)r: unsupported %%%(directive)s",
                            fmt=fmt,
                            directive=directive,
                        )
                    )
                index += 2
            else:
                pattern.append(r"\s+" if char.isspace() else re.escape(char))
                index += 1
        if not self._fallback and not (
            {"day", "month"} <= set(self._names) and ({"year", "year2"} & set(self._names))
        ):
            raise ParseError(_lt("date format %(fmt)r needs a day, a month and a year", fmt=fmt))
        self._regex = re.compile("".join(pattern))

    def __call__(self, text):
        """Return a :class:`datetime.date` or raise ValueError."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        value = self._parse(text.strip())
        if len(self._cache) < 20000:
            self._cache[text] = value
        return value

    def _parse(self, text):
        if self._fallback:
            return datetime.datetime.strptime(text, self.fmt).date()
        match = self._regex.fullmatch(text)
        if match is None:
            raise ValueError(
                _lt("%(text)r does not match the date format %(fmt)s", text=text, fmt=self.fmt)
            )
        parts = dict(zip(self._names, match.groups(), strict=True))
        if "year2" in parts:
            short = int(parts["year2"])
            year = 2000 + short if short < 69 else 1900 + short  # as strptime
        else:
            year = int(parts["year"])
        if (
            int(parts.get("hour", 0)) > 23
            or int(parts.get("minute", 0)) > 59
            or int(parts.get("second", 0)) > 61
        ):
            raise ValueError(_lt("%(text)r has an impossible time of day", text=text))
        # date() rejects Feb 31 and month 13: strict, never a guess.
        return datetime.date(year, int(parts["month"]), int(parts["day"]))


_CURRENCY_DECORATION = re.compile(r"^(?:[A-Z]{3}|[$€£¥₣₤])\s*|\s*(?:[A-Z]{3}|[$€£¥₣₤])$")


class _AmountParser:
    """Strict decimal parsing with a given decimal and thousands separator."""

    def __init__(self, decimal_sep, thousands_sep):
        dec = re.escape(decimal_sep)
        if thousands_sep:
            thou = re.escape(thousands_sep)
            integer = rf"\d{{1,3}}(?:{thou}\d{{3}})+|\d+"
        else:
            integer = r"\d+"
        self._regex = re.compile(rf"([+-]?)({integer})?(?:{dec}(\d+))?")
        self._thousands = thousands_sep
        # Most cells are plain "-12.34": one match and Decimal() directly.
        self._plain = re.compile(rf"[+-]?\d+(?:{dec}\d+)?").fullmatch
        # The same test for many cells at once (see plain_column).
        self._not_plain = str.maketrans("", "", f"0123456789+-{decimal_sep}\n")
        self._dangling = f"{decimal_sep}\n"
        self._comma = decimal_sep == ","

    def plain_column(self, values):
        """True when every text of ``values`` (stripped, non-empty) is plain:
        ``Decimal()`` then reads each exactly as :meth:`__call__` would.

        One C-level pass over the joined texts: only digits, signs and the
        decimal separator, and no separator at the end of a text ("5."),
        the one such text ``Decimal()`` reads and this parser refuses. A
        malformed one such as "1-2" or "1.2.3" still makes ``Decimal()``
        raise.
        """
        joined = "\n".join(values) + "\n"
        return not joined.translate(self._not_plain) and self._dangling not in joined

    def __call__(self, text):
        """Return a :class:`Decimal` or raise ValueError (text was not empty)."""
        if self._plain(text):
            return Decimal(text.replace(",", ".") if self._comma else text)
        match = self._regex.fullmatch(text)
        if match is None or not (match[2] or match[3]):
            return self._slow(text)
        sign, integer, fraction = match.groups()
        if integer is None:
            integer = "0"
        elif self._thousands:
            integer = integer.replace(self._thousands, "")
        return Decimal(f"{sign}{integer}.{fraction}" if fraction else sign + integer)

    def _slow(self, text):
        """Accept what banks decorate amounts with: blanks, a leading
        apostrophe (Excel text marker), a currency code or symbol, a trailing
        minus or accounting parentheses."""
        value = text.strip().lstrip("'").strip()
        value = _CURRENCY_DECORATION.sub("", value).strip()
        negative = False
        if value.startswith("(") and value.endswith(")"):
            negative, value = True, value[1:-1].strip()
        elif value.endswith("-") and value[:1] not in "+-":
            negative, value = True, value[:-1].strip()
        elif value.endswith("+") and value[:1] not in "+-":
            value = value[:-1].strip()
        if value[:1] in "+-" and value[1:2] == " ":
            value = value[0] + value[1:].strip()
        match = self._regex.fullmatch(value) if value != text else None
        if match is None or not (match[2] or match[3]):
            raise ValueError(_lt("%(value)r is not a number", value=text.strip()))
        amount = self(value)
        return -amount if negative else amount


def _cell_text(value):
    """Text of a cell as read from CSV (str) or XLSX (typed value)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _join_text(values):
    if len(values) == 1:
        return values[0]
    return " ".join(value for value in values if value)


_UNCLEAN_BLANKS = re.compile(r"\s\s|[^\S ]")


def _clean_text(text):
    """Collapse blank runs and drop the single quotes some banks wrap text in.

    Most cells have no blank run to collapse: two C-level tests (every blank
    other than the space is unprintable) let them through untouched.
    """
    if not text.isprintable() or "  " in text or text[:1] == " " or text[-1:] == " ":
        if _UNCLEAN_BLANKS.search(text) or text[:1] == " " or text[-1:] == " ":
            text = " ".join(text.split())
    if len(text) > 1 and text[0] == "'" and text[-1] == "'":
        text = text[1:-1].strip()
    return text


def _or_none(values):
    """``values`` with None for the empty texts (the list itself when none is)."""
    return values if all(values) else [value or None for value in values]


def _clean_column(values):
    """:func:`_clean_text` of every text of a column (stripped texts).

    C-level tests over the whole column find the few texts that need it.
    """
    # The texts are stripped: no blank run can form across a separator, and
    # a text starting with a quote follows one (or starts the whole).
    joined = "|".join(values)
    if (
        joined.isprintable()
        and "  " not in joined
        and "|'" not in joined
        and not joined.startswith("'")
    ):
        return values
    blank_runs = map(contains, values, repeat("  "))
    quoted = map(str.startswith, values, repeat("'"))
    unclean = list(map(or_, map(not_, map(str.isprintable, values)), map(or_, blank_runs, quoted)))
    if not any(unclean):
        return values
    values = list(values)
    for index in compress(range(len(values)), unclean):
        values[index] = _clean_text(values[index])
    return values


class _RowPath(Exception):
    """A batch holds a row that only the row path can word (an empty amount
    or date): the batch goes row by row."""


# Rows per batch of the CSV fast path: large enough for C-level column work
# to dominate, small enough to keep the working memory flat.
_BATCH_ROWS = 2048


# --------------------------------------------------------------------------
# Reading bytes into rows


def is_xlsx(data):
    """True when ``data`` is an OOXML workbook (a ZIP holding xl/workbook.xml)."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def is_xls(data):
    """True for an OLE2 compound file, the container of Excel 97 ``.xls``."""
    return data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


_BINARY_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)


def check_text_bytes(data):
    """Refuse binary documents (PDF, images, XLS...) given as a CSV file."""
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise ParseError(_lt("this is %(what)s, not a CSV or XLSX statement", what=what))
    if is_xls(data):
        raise ParseError(XLS_MESSAGE)
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseError(_lt("this is a binary file, not a CSV statement"))


def decode_text(data, encoding=None):
    """Decode CSV bytes; return ``(text, encoding)``.

    Without an encoding: as :func:`.common.decode_text` (a BOM decides, else
    UTF-8 when the bytes are valid UTF-8, else cp1252, else latin-1). With
    one, decoding is strict and a failure names the line
    (:func:`.common.decode_as`). Reading a whole file goes through
    :func:`csv_codec` and :func:`iter_csv_stream` instead, which never hold
    the decoded text.
    """
    check_text_bytes(data)
    if encoding:
        return decode_as(data, encoding).lstrip("\ufeff"), encoding
    return common_decode_text(data), guess_encoding(data)


def csv_codec(data, encoding=None):
    """The codec to read CSV ``data`` with: ``encoding`` when given, else the
    guess of :func:`.common.guess_encoding`; binary files are refused."""
    check_text_bytes(data)
    return encoding or guess_encoding(data)


def head_text(data, codec, size=256 * 1024):
    """The first ``size`` bytes of ``data`` decoded (a character cut at the
    end is left out); bad bytes are replaced: this is for sniffing only."""
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    return decoder.decode(data[:size], len(data) <= size).lstrip("\ufeff")


def iter_csv_stream(data, codec, delimiter, quotechar):
    """Yield the rows of CSV bytes, decoded on the fly as ``codec``.

    The text is never whole in memory (a text stream over the bytes feeds
    ``csv.reader``); a byte that does not decode raises the
    :class:`ParseError` of :func:`.common.decode_as`, naming its line.
    """
    try:
        stream = io.TextIOWrapper(io.BytesIO(data), encoding=codec, newline="")
    except LookupError:
        raise ParseError(_lt("unknown encoding %(encoding)r", encoding=codec)) from None
    reader = csv.reader(stream, delimiter=delimiter, quotechar=quotechar, strict=False)
    try:
        first = next(reader, None)
        if first is None:
            return
        if first and first[0].startswith("\ufeff"):  # a byte-order mark read as text
            first[0] = first[0].lstrip("\ufeff")
        yield first
        yield from reader
    except UnicodeDecodeError:
        decode_as(data, codec)  # raises the error naming the line
        raise ParseError(_lt("the file is not valid %(encoding)s", encoding=codec)) from None
    except csv.Error as error:
        raise ParseError(
            _lt("malformed CSV: %(error)s", error=error),
            where=_lt("line %(line)s", line=reader.line_num),
        ) from None


def open_workbook_rows(data, sheet_name=None):
    """Return ``(iterator of rows, sheet title)`` of an XLSX workbook.

    Rows are lists of typed cell values (str, int, float, datetime, None)
    with trailing empty cells removed.
    """
    try:
        import openpyxl
    except ImportError as error:  # pragma: no cover - declared dependency
        raise ParseError(_lt("reading XLSX needs the openpyxl package")) from error
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on corrupt files
        raise ParseError(_lt("cannot open the XLSX workbook: %(error)s", error=error)) from error
    if sheet_name:
        if sheet_name not in workbook.sheetnames:
            raise ParseError(
                _lt(
                    "the workbook has no sheet %(sheet_name)r (sheets: %(values)s)",
                    sheet_name=sheet_name,
                    values=", ".join(workbook.sheetnames),
                )
            )
        sheet = workbook[sheet_name]
    else:
        sheet = workbook.worksheets[0]
    return _iter_sheet(sheet), sheet.title


def _iter_sheet(sheet):
    blank = 0
    try:
        for row in sheet.iter_rows(values_only=True):
            row = list(row)
            while row and (row[-1] is None or row[-1] == ""):
                row.pop()
            if row:
                blank = 0
            else:
                blank += 1
                if blank > _MAX_BLANK_ROWS:
                    return
            yield row
    except ParseError:
        raise
    except Exception as error:
        raise ParseError(_lt("cannot read the XLSX sheet: %(error)s", error=error)) from error


def iter_rows(data, mapping):
    """Yield every row of ``data`` (CSV or XLSX) as read with ``mapping``."""
    if is_xlsx(data):
        rows, _title = open_workbook_rows(data, mapping.sheet_name)
        return rows
    codec = csv_codec(data, mapping.encoding)
    return iter_csv_stream(data, codec, mapping.delimiter, mapping.quotechar)


def _is_blank(row):
    for cell in row:
        if cell is not None and (not isinstance(cell, str) or cell.strip()):
            return False
    return True


# --------------------------------------------------------------------------
# Public API


def detect(data, filename=None):
    """Propose a :class:`SheetMapping` for ``data`` (see :mod:`.sheet_detect`)."""
    from .sheet_detect import detect as _detect

    return _detect(data, filename=filename)


def preview(data, mapping, rows=10):
    """Return ``{"header": [...], "rows": [[...], ...]}`` for a preview table.

    Rows are the first ``rows`` data rows after the skipped lines and the
    header, as strings, exactly as split with ``mapping``.
    """
    if isinstance(mapping, dict):
        mapping = SheetMapping.from_dict(mapping)
    header = []
    body = []
    for index, row in enumerate(iter_rows(data, mapping)):
        if index < mapping.header_rows:
            continue
        if mapping.has_header and index == mapping.header_rows:
            header = [_cell_text(cell) for cell in row]
            continue
        if _is_blank(row):
            continue
        body.append([_cell_text(cell) for cell in row])
        if len(body) >= rows:
            break
    if not header:
        width = max((len(row) for row in body), default=0)
        header = [f"column {index + 1}" for index in range(width)]
    return {"header": header, "rows": body}


@pausing_gc
def parse(data, mapping=None, **options):
    """Parse CSV or XLSX bytes into statements (one per currency / account).

    See the module docstring for ``mapping`` and the row/column conventions.
    Raises :class:`ParseError` naming the row and column of a bad value.
    """
    filename = options.pop("filename", None)
    if options:
        raise TypeError(f"unknown options: {', '.join(sorted(options))}")
    if is_xls(data):
        raise ParseError(XLS_MESSAGE, filename=filename)
    if not data.strip():
        raise ParseError(_lt("the file is empty"), filename=filename)
    try:
        if mapping is None:
            mapping = detect(data, filename=filename)
        elif isinstance(mapping, dict):
            mapping = SheetMapping.from_dict(mapping)
        text_rows = not is_xlsx(data)
        return _Parser(mapping).run(iter_rows(data, mapping), text_rows=text_rows)
    except ParseError as error:
        if filename and not error.filename:
            error.filename = filename
        raise


class _Parser:
    """One pass over the rows of a file, building statements as it goes."""

    def __init__(self, mapping):
        self.mapping = mapping
        self.date_parser = _DateParser(mapping.date_format)
        self.value_date_parser = (
            _DateParser(mapping.value_date_format)
            if mapping.value_date_format
            else self.date_parser
        )
        self.amount_parser = _AmountParser(mapping.decimal_sep, mapping.thousands_sep)
        self.names = []

    # -- columns -----------------------------------------------------------

    def _resolve(self, header, role, ref):
        if ref is None:
            return None
        if isinstance(ref, int):
            return ref
        if header is None:
            raise ParseError(
                _lt(
                    "the %(role)s column is named %(ref)r but the mapping says the file has no "
                    "header row: use a column number",
                    role=role,
                    ref=ref,
                )
            )
        if ref in header:
            return header.index(ref)
        wanted = ref.strip().casefold()
        for index, name in enumerate(header):
            if name.strip().casefold() == wanted:
                return index
        raise ParseError(
            _lt(
                "no column %(ref)r (for %(role)s) in the header: %(columns)s",
                ref=ref,
                role=role,
                columns=", ".join(repr(name) for name in header if name),
            )
        )

    def _setup(self, header):
        mapping = self.mapping
        self.cols = {
            role: self._resolve(header, role, getattr(mapping, role)) for role in SINGLE_ROLES
        }
        self.label_cols = [self._resolve(header, "label", r) for r in mapping.label]
        self.note_cols = [self._resolve(header, "notes", r) for r in mapping.notes]
        used = {c for c in self.cols.values() if c is not None}
        used.update(self.label_cols, self.note_cols)
        self.header = header
        width = len(header) if header else 0
        self.raw_cols = [
            (index, header[index] or f"column {index + 1}")
            for index in range(width)
            if index not in used
        ]
        self.debit_values = {v.upper() for v in mapping.debit_values}
        self.credit_values = {v.upper() for v in mapping.credit_values}

    def _name(self, index):
        if self.header and index < len(self.header) and self.header[index]:
            return self.header[index]
        return _lt("column %(number)s", number=index + 1)

    def _error(self, rownum, index, message):
        return ParseError(
            message,
            where=_lt("row %(row)s, column %(column)r", row=rownum, column=self._name(index)),
        )

    # -- cells -------------------------------------------------------------

    def _date(self, row, index, rownum, parser, required):
        value = row[index] if index < len(row) else None
        if type(value) is str:
            cached = parser._cache.get(value)
            if cached is not None:
                return cached
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = _cell_text(value)
        if not text:
            if required:
                raise self._error(rownum, index, _lt("the date is empty"))
            return None
        if not isinstance(value, str):
            raise self._error(rownum, index, _lt("%(text)r is not a date", text=text))
        try:
            return parser(text)
        except ValueError as error:
            raise self._error(
                rownum,
                index,
                _lt(
                    "%(text)r is not a valid date in the format %(fmt)s (%(error)s)",
                    text=text,
                    fmt=parser.fmt,
                    error=(error.args or [error])[0],  # a Text when _DateParser raised it
                ),
            ) from None

    def _amount(self, row, index, rownum):
        """Decimal of the cell, or None when empty."""
        value = row[index] if index is not None and index < len(row) else None
        if value is None:
            return None
        if type(value) is str:
            text = value.strip()
            if not text:
                return None
            try:
                return self.amount_parser(text)
            except (ValueError, InvalidOperation):
                raise self._error(
                    rownum,
                    index,
                    _lt("%(value)r is not a number", value=text),
                ) from None
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise self._error(rownum, index, _lt("%(value)r is not a number", value=value))
        # str() of a float is its shortest repr: no binary noise in the Decimal.
        return Decimal(str(value))

    def _text(self, row, index):
        if index is None or index >= len(row):
            return ""
        value = row[index]
        return value.strip() if type(value) is str else _cell_text(value)

    def _row_amount(self, row, rownum):
        mapping = self.mapping
        cols = self.cols
        if mapping.amount_mode == "signed":
            amount = self._amount(row, cols["amount"], rownum)
            if amount is None:
                raise self._error(rownum, cols["amount"], _lt("the amount is empty"))
        elif mapping.amount_mode == "debit_credit":
            debit = self._amount(row, cols["debit"], rownum)
            credit = self._amount(row, cols["credit"], rownum)
            if debit is None and credit is None:
                raise self._error(
                    rownum, cols["debit"], _lt("neither a debit nor a credit amount")
                )
            amount = abs(credit or 0) - abs(debit or 0)
        else:
            amount = self._amount(row, cols["amount"], rownum)
            if amount is None:
                raise self._error(rownum, cols["amount"], _lt("the amount is empty"))
            indicator = self._text(row, cols["dc_indicator"]).upper()
            if indicator in self.debit_values:
                amount = -abs(amount)
            elif indicator in self.credit_values:
                amount = abs(amount)
            else:
                raise self._error(
                    rownum,
                    cols["dc_indicator"],
                    _lt(
                        "%(indicator)r is neither a debit value (%(debit_values)s) nor a credit "
                        "value (%(credit_values)s)",
                        indicator=indicator,
                        debit_values="/".join(mapping.debit_values),
                        credit_values="/".join(mapping.credit_values),
                    ),
                )
        return -amount if mapping.invert_sign else amount

    # -- the pass ----------------------------------------------------------

    def run(self, rows, text_rows=False):
        """Parse ``rows``; ``text_rows`` promises every cell is a ``str``
        (CSV), which allows the batch path (:meth:`_fast_batch`)."""
        mapping = self.mapping
        rows = iter(rows)
        rownum = sum(1 for _row in itertools.islice(rows, mapping.header_rows))
        if rownum < mapping.header_rows:
            raise ParseError(
                _lt(
                    "the file has %(rownum)s rows, fewer than the %(header_rows)s to skip",
                    rownum=rownum,
                    header_rows=mapping.header_rows,
                )
            )
        header = None
        if mapping.has_header:
            for row in rows:
                rownum += 1
                if not _is_blank(row):
                    header = [_cell_text(cell) for cell in row]
                    break
            if header is None:
                raise ParseError(_lt("the file has no header row and no transactions"))
        self._setup(header)
        groups = {}
        add_batch = text_rows and self._fast_batch()
        if add_batch:
            self._run_batches(rows, rownum, groups, add_batch)
        else:
            self._run_rows(rows, rownum, groups)
        if not groups:
            raise ParseError(_lt("the file holds no transactions"))
        return [self._finish(key, group) for key, group in groups.items()]

    def _run_rows(self, rows, rownum, groups):
        """Add the rows one by one (XLSX cells, or what the batch path does
        not cover)."""
        add = self._add
        pending = []  # the last footer_rows non-blank rows, held back
        footer = self.mapping.footer_rows
        for row in rows:
            rownum += 1
            # Most rows start with a filled text cell: skip the full blank test.
            first = row[0] if row else None
            if (type(first) is not str or not first.strip()) and _is_blank(row):
                continue
            if footer:
                pending.append((rownum, row))
                if len(pending) <= footer:
                    continue
                add(groups, *pending.pop(0))
            else:
                add(groups, rownum, row)

    def _run_batches(self, rows, rownum, groups, add_batch):
        """Add CSV rows in batches of :data:`_BATCH_ROWS` (see
        :meth:`_fast_batch`), skipping blank rows and holding back the last
        ``footer_rows`` non-blank ones."""
        footer = self.mapping.footer_rows
        held_nums, held_rows = [], []
        while True:
            batch = list(itertools.islice(rows, _BATCH_ROWS))
            if not batch:
                break
            nums = range(rownum + 1, rownum + 1 + len(batch))
            rownum += len(batch)
            # Most rows start with a filled cell: one C-level test for all.
            if not (all(batch) and all(map(str.strip, map(itemgetter(0), batch)))):
                kept = [
                    (num, row) for num, row in zip(nums, batch, strict=True) if not _is_blank(row)
                ]
                nums = [num for num, _row in kept]
                batch = [row for _num, row in kept]
            if footer:
                nums = held_nums + list(nums)
                batch = held_rows + batch
                held_nums, held_rows = nums[-footer:], batch[-footer:]
                nums, batch = nums[:-footer], batch[:-footer]
            if batch:
                add_batch(groups, nums, batch)

    def _add(self, groups, rownum, row):
        mapping = self.mapping
        cols = self.cols
        amount = self._row_amount(row, rownum)
        if mapping.skip_zero_amount and not amount:
            return
        date = self._date(row, cols["date"], rownum, self.date_parser, True)
        value_date = None
        if cols["value_date"] is not None:
            value_date = self._date(row, cols["value_date"], rownum, self.value_date_parser, False)
        currency = self._text(row, cols["currency"]).upper() or None
        own_account = self._text(row, cols["own_account"]) or None
        key = (own_account, currency)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group()
        balance = None
        if cols["balance"] is not None:
            balance = self._amount(row, cols["balance"], rownum)
        elif cols["balance_before"] is not None:
            before = self._amount(row, cols["balance_before"], rownum)
            if before is not None:
                balance = before + amount
        label = _join_text([self._text(row, c) for c in self.label_cols])
        notes = _join_text([self._text(row, c) for c in self.note_cols])
        if notes:
            notes = " ".join(notes.split())
        partner = _clean_text(self._text(row, cols["partner_name"])) or None
        if label:
            label = _clean_text(label)
        else:
            label = partner or _clean_text(notes)
        foreign_amount = None
        foreign_currency = None
        if cols["foreign_amount"] is not None:
            foreign_amount = self._amount(row, cols["foreign_amount"], rownum)
            if foreign_amount is not None:
                if not foreign_amount:
                    foreign_amount = None
                elif (foreign_amount < 0) != (amount < 0):
                    # Banks write the original amount unsigned or with the
                    # other side's sign; it always moves with the amount.
                    foreign_amount = -foreign_amount
        if cols["foreign_currency"] is not None:
            foreign_currency = self._text(row, cols["foreign_currency"]).upper() or None
            if foreign_amount is None or foreign_currency == currency:
                foreign_currency = None
                foreign_amount = None
        raw = {"row": rownum}
        for index, name in self.raw_cols:
            if index < len(row):
                text = _cell_text(row[index])
                if text:
                    raw[name] = text
        unique_id = self._text(row, cols["unique_id"]) or None
        group.add(
            Transaction(
                date=date,
                amount=amount,
                value_date=value_date,
                currency=currency,
                foreign_amount=foreign_amount,
                foreign_currency=foreign_currency,
                label=label,
                narration=notes,
                ref=self._text(row, cols["ref"]) or None,
                unique_import_id=unique_id,
                partner_name=partner,
                account_number=self._text(row, cols["account_number"]) or None,
                raw=raw,
            ),
            balance,
        )

    def _fast_batch(self):
        """Return a function that adds a batch of rows column by column, or None.

        It handles CSV rows (every cell a ``str``) with a signed amount column
        and no foreign amount: each column of the batch is stripped, checked
        and converted by C-level ``map`` calls (``Decimal``, the date cache,
        ``str.strip``), and the transactions are built in one ``map``. A batch
        where a cell would be an error (an empty or unreadable amount or date)
        goes row by row through :meth:`_add`, which words the error; rows that
        only need more care (an unclean label, a decorated amount, an empty
        optional cell) are handled in the batch with the same helpers as
        :meth:`_add`, so both paths give the same result (a test compares
        them on every CSV sample). That keeps large files near ``csv.reader``
        speed without a second set of rules.
        """
        mapping = self.mapping
        cols = self.cols
        if (
            mapping.amount_mode != "signed"
            or cols["balance_before"] is not None
            or cols["foreign_amount"] is not None
            or cols["foreign_currency"] is not None
        ):
            return None
        raw_cols = self.raw_cols
        used = [c for c in cols.values() if c is not None]
        used += self.label_cols + self.note_cols
        used += [index for index, _name in raw_cols]
        width = max(used) + 1
        slow = self._add
        amount_col = cols["amount"]
        date_col = cols["date"]
        date_parser = self.date_parser
        value_col = cols["value_date"]
        value_parser = self.value_date_parser
        currency_col = cols["currency"]
        own_col = cols["own_account"]
        balance_col = cols["balance"]
        partner_col = cols["partner_name"]
        label_cols = self.label_cols
        note_cols = self.note_cols
        raw_keys = ("row", *(name for _index, name in raw_cols))
        parse_amount = self.amount_parser
        plain_column = parse_amount.plain_column
        comma = parse_amount._comma
        invert = mapping.invert_sign
        skip_zero = mapping.skip_zero_amount
        strip = str.strip

        def texts(columns, index):
            return list(map(strip, columns[index]))

        def optional(columns, index):
            """Stripped texts of an optional column, None for empty cells."""
            return None if index is None else _or_none(texts(columns, index))

        def joined(columns, indexes):
            """The texts of several columns joined per row (as :meth:`_add`
            joins them), or None without columns."""
            if not indexes:
                return None
            if len(indexes) == 1:
                return texts(columns, indexes[0])
            parts = [texts(columns, index) for index in indexes]
            return [_join_text(values) for values in zip(*parts, strict=True)]

        def amounts(values):
            """Decimals of stripped, non-empty amount texts (ValueError when
            one is not a number)."""
            if plain_column(values):
                if comma:
                    values = map(methodcaller("replace", ",", "."), values)
                return list(map(Decimal, values))
            return list(map(parse_amount, values))

        def dates(cells, parser, required):
            """Dates of a column: the parser's cache for most cells, the
            parser itself for the others (ValueError for a bad cell,
            :class:`_RowPath` for an empty one when ``required``)."""
            found = list(map(parser._cache.get, cells))
            misses = set(compress(cells, map(is_, found, repeat(None))))
            if not misses:
                return found
            missing = {}
            for cell in misses:
                text = strip(cell)
                if text:
                    missing[cell] = parser(text)
                elif required:
                    raise _RowPath
                else:
                    missing[cell] = None
            # missing.get(cell, day): the day the cache gave, or the one parsed.
            return list(map(missing.get, cells, found))

        def add_batch(groups, nums, rows):
            if min(map(len, rows)) < width:
                # A missing cell reads as an empty one (as in _add).
                rows = [
                    row + [""] * (width - len(row)) if len(row) < width else row for row in rows
                ]
            # The batch's columns, one tuple each (zip reads the rows in C;
            # rows longer than width are cut, their extra cells are unused).
            columns = list(islice(zip(*rows, strict=False), width))
            try:
                amount = texts(columns, amount_col)
                if not all(amount):
                    raise _RowPath
                amount = amounts(amount)
                if invert:
                    amount = list(map(neg, amount))
                if skip_zero and not all(amount):
                    keep = list(map(bool, amount))
                    nums = list(compress(nums, keep))
                    rows = list(compress(rows, keep))
                    amount = list(compress(amount, keep))
                    if not rows:
                        return
                    columns = list(islice(zip(*rows, strict=False), width))
                date = dates(columns[date_col], date_parser, True)
                value_date = None
                if value_col is not None:
                    value_date = dates(columns[value_col], value_parser, False)
                balance = None
                if balance_col is not None:
                    balance = texts(columns, balance_col)
                    if all(balance):
                        balance = amounts(balance)
                    else:
                        balance = [parse_amount(value) if value else None for value in balance]
            except (ValueError, InvalidOperation, _RowPath):
                # One of these rows is an error: _add says which, and where.
                for rownum, row in zip(nums, rows, strict=True):
                    slow(groups, rownum, row)
                return
            currency = None
            if currency_col is not None:
                currency = _or_none(list(map(str.upper, texts(columns, currency_col))))
            own_account = optional(columns, own_col)
            partner = None
            if partner_col is not None:
                partner = _or_none(_clean_column(texts(columns, partner_col)))
            label = joined(columns, label_cols) or [""] * len(rows)
            notes = joined(columns, note_cols)
            if notes is not None:
                notes = [" ".join(value.split()) if value else value for value in notes]
            if all(label):
                label = _clean_column(label)
            else:
                label = [
                    _clean_text(text) if text else (name or _clean_text(note))
                    for text, name, note in zip(
                        label, partner or repeat(None), notes or repeat(""), strict=False
                    )
                ]
            if len(raw_keys) == 1:
                raw = list(map(dict.fromkeys, repeat(raw_keys), nums))
            else:
                cells = [texts(columns, index) for index, _name in raw_cols]
                if all(map(all, cells)):
                    raw = list(
                        map(dict, map(zip, repeat(raw_keys), zip(nums, *cells, strict=True)))
                    )
                else:
                    # Empty cells left out (the row number is never empty).
                    raw = [
                        {key: value for key, value in zip(raw_keys, values, strict=True) if value}
                        for values in zip(nums, *cells, strict=True)
                    ]
            nothing = repeat(None)
            # Positional, in the field order of Transaction (a test pins it).
            transactions = list(
                map(
                    Transaction,
                    date,
                    amount,
                    value_date or nothing,
                    currency or nothing,
                    nothing,  # foreign_amount: not on this path
                    nothing,  # foreign_currency
                    label,
                    notes or repeat(""),
                    optional(columns, cols["ref"]) or nothing,
                    optional(columns, cols["unique_id"]) or nothing,
                    partner or nothing,
                    optional(columns, cols["account_number"]) or nothing,
                    nothing,  # counterparty_bic
                    nothing,  # transaction_type
                    raw,
                )
            )
            if own_account is None and (currency is None or len(set(currency)) == 1):
                key = (None, currency[0] if currency else None)
                group = groups.get(key)
                if group is None:
                    group = groups[key] = _Group()
                group.transactions.extend(transactions)
                if balance is not None:
                    group.add_balances(date, amount, balance)
                return
            for transaction, own, ccy, value in zip(
                transactions,
                own_account or nothing,
                currency or nothing,
                balance or nothing,
                strict=False,
            ):
                key = (own, ccy)
                group = groups.get(key)
                if group is None:
                    group = groups[key] = _Group()
                group.add(transaction, value)

        return add_batch

    def _finish(self, key, group):
        own_account, currency = key
        mapping = self.mapping
        statement = ParsedStatement(
            account_number=own_account or mapping.statement_account_number,
            currency=currency or mapping.statement_currency,
            transactions=group.transactions,
        )
        dates = [t.date for t in group.transactions]
        statement.date = max(dates)
        statement.balance_start, statement.balance_end = group.balances()
        return statement


class _Group:
    """Transactions of one statement and what the balance column needs."""

    __slots__ = ("head", "last", "transactions")

    def __init__(self):
        self.transactions = []
        # (date, amount, balance) of the first two rows and of the last one.
        self.head = []
        self.last = None

    def add(self, transaction, balance):
        self.transactions.append(transaction)
        if balance is None:
            return
        self.last = item = (transaction.date, transaction.amount, balance)
        if len(self.head) < 2:
            self.head.append(item)

    def add_balances(self, dates, amounts, balances):
        """Record what :meth:`add` records of the balance column, for a batch
        of transactions already appended (``balances`` may hold None)."""
        # ("None in balances" would compare every Decimal with None, slowly.)
        if any(map(is_, balances, repeat(None))):
            items = [
                item for item in zip(dates, amounts, balances, strict=True) if item[2] is not None
            ]
            if not items:
                return
        elif len(self.head) >= 2:
            self.last = (dates[-1], amounts[-1], balances[-1])
            return
        else:
            items = list(zip(dates, amounts, balances, strict=True))
        if len(self.head) < 2:
            self.head.extend(items[: 2 - len(self.head)])
        self.last = items[-1]

    def balances(self):
        """``(balance_start, balance_end)`` from a running balance column.

        Rows may run oldest first or newest first: dates decide, and when the
        first and last dates are equal, the first two balances do.
        """
        if not self.head:
            return None, None
        first, last = self.head[0], self.last
        descending = last[0] < first[0]
        if first[0] == last[0] and len(self.head) == 2:
            second = self.head[1]
            ascending_ok = second[2] - first[2] == second[1]
            descending_ok = first[2] - second[2] == first[1]
            descending = descending_ok and not ascending_ok
        if descending:
            return last[2] - last[1], first[2]
        return first[2] - first[1], last[2]


# The registry maps both "csv" and "xlsx" to this module: these delegate to the
# thin format modules (imported late, they import this one).
def sniff_csv(data):
    """See :func:`.csv_format.sniff`."""
    from . import csv_format  # noqa: PLC0415

    return csv_format.sniff(data)


def parse_csv(data, **options):
    """See :func:`.csv_format.parse`."""
    from . import csv_format  # noqa: PLC0415

    return csv_format.parse(data, **options)


def sniff_xlsx(data):
    """See :func:`.xlsx.sniff`."""
    from . import xlsx  # noqa: PLC0415

    return xlsx.sniff(data)


def parse_xlsx(data, **options):
    """See :func:`.xlsx.parse`."""
    from . import xlsx  # noqa: PLC0415

    return xlsx.parse(data, **options)
