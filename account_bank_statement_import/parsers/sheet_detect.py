"""Propose a :class:`~.sheet.SheetMapping` for an unknown CSV/XLSX export.

Detection reads the file's structure from its first rows (delimiter, title
and metadata lines, header, footer), then types every column over the data
rows: dates (a format is kept only when every value of the column parses),
numbers (the decimal separator decided from all values), currencies, IBANs,
texts. Roles come from header keywords in several languages, then from
content; a running balance column is checked against the amounts to decide
the sign convention and whether it is the balance before or after the row.
Whatever stays ambiguous is written to ``mapping.warnings``.
"""

import collections
import csv
import datetime
import itertools
import operator
import re
import unicodedata
from decimal import Decimal

from .errors import ParseError, _lt
from .sheet import (
    DEFAULT_DEBIT_VALUES,
    XLS_MESSAGE,
    SheetMapping,
    _AmountParser,
    _cell_text,
    _DateParser,
    _is_blank,
    _Parser,
    csv_codec,
    head_text,
    is_xls,
    is_xlsx,
    iter_csv_stream,
    open_workbook_rows,
)

STRUCTURE_ROWS = 200  # rows looked at to find the table
_HEAD_BYTES = 256 * 1024  # bytes decoded to choose the delimiter
SAMPLE_ROWS = 2000  # data rows whose values are kept for checks
DISTINCT_CAP = 5000  # distinct values kept per column for date formats
FOOTER_WINDOW = 6  # trailing rows that may be totals rather than transactions
_SCAN_BLOCK = 4096  # rows read at a time past the sample

_DATE_ONLY = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d-%m-%y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
)
_TIME_SUFFIXES = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S")
DATE_FORMATS = tuple(d + t for d in _DATE_ONLY for t in _TIME_SUFFIXES)

_DATE_SHAPE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?|\d{8}")
_NUMBER_SHAPE = re.compile(
    r"'?\s*(?:[A-Z]{3}|[$€£¥])?\s*[+-]?\s*\(?\s*"
    r"(?:\d{1,3}(?:[.,' \u00a0]\d{3})+|\d+)?(?:[.,]\d+)?\s*\)?-?\s*"
    r"(?:[A-Z]{3}|[$€£¥])?"
)
_HAS_DIGIT = re.compile(r"\d").search
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_CURRENCIES = frozenset(
    [
        "EUR",
        "USD",
        "GBP",
        "CHF",
        "JPY",
        "CAD",
        "AUD",
        "NZD",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "BGN",
        "HRK",
        "ISK",
        "TRY",
        "RUB",
        "UAH",
        "CNY",
        "HKD",
        "SGD",
        "INR",
        "IDR",
        "MYR",
        "THB",
        "PHP",
        "KRW",
        "TWD",
        "ZAR",
        "BRL",
        "MXN",
        "ARS",
        "CLP",
        "COP",
        "PEN",
        "AED",
        "SAR",
        "ILS",
        "EGP",
        "MAD",
        "NGN",
        "KES",
    ]
)
_DC_PAIRS = (
    ({"D", "DR", "DEBIT", "DEBET"}, {"C", "CR", "CREDIT"}),
    ({"AF"}, {"BIJ"}),
    ({"S", "SOLL"}, {"H", "HABEN"}),
)

# Header keywords, normalised (lower case, no accents, words split on any
# non-alphanumeric character). Earlier entries win.
KEYS = {
    "value_date": (
        "valutadatum",
        "valuta",
        "value date",
        "wertstellung",
        "date valeur",
        "fecha valor",
        "valuedate",
        "valeur",
    ),
    "date": (
        "boekdatum",
        "buchungsdatum",
        "buchungstag",
        "booking date",
        "posting date",
        "date comptable",
        "transactiedatum",
        "transaction date",
        "datum",
        "date",
        "fecha",
        "data",
        "dato",
        "creation date",
    ),
    "foreign_amount": (
        "amount currency",
        "original amount",
        "ursprungsbetrag",
        "foreign amount",
        "bedrag vreemde valuta",
        "montant devise",
    ),
    "amount": (
        "net",
        "neto",
        "netto",
        "amount",
        "betrag",
        "bedrag",
        "montant",
        "importe",
        "importo",
        "valor",
        "kwota",
        "belopp",
        "summe",
        "gross",
        "bruto",
        "brutto",
    ),
    "debit": (
        "debit",
        "debet",
        "soll",
        "uitgaven",
        "withdrawal",
        "withdrawals",
        "paid out",
        "money out",
        "cargo",
        "cargos",
        "debe",
        "ausgang",
    ),
    "credit": (
        "credit",
        "haben",
        "inkomsten",
        "deposit",
        "deposits",
        "paid in",
        "money in",
        "abono",
        "abonos",
        "haber",
        "eingang",
    ),
    "balance_before": ("balance before", "saldo voor", "vorsaldo"),
    "balance": ("balance", "saldo", "solde", "kontostand", "boeksaldo"),
    "fee": ("fee", "fees", "comision", "commission", "gebuhr", "markup"),
    "unique_id": (
        "transaction id",
        "transactie id",
        "transaktions id",
        "id de transaccion",
        "operation number",
        "fitid",
        "referentie",
        "unique id",
        "bank reference",
        "transaction reference",
    ),
    "ref": (
        "reference",
        "referentie",
        "ref",
        "kundenreferenz end to end",
        "end to end",
        "zahlungsreferenz",
        "invoice number",
        "invoice id",
        "id de factura",
    ),
    "label": (
        "description",
        "descripcion",
        "omschrijving",
        "verwendungszweck",
        "label",
        "libelle",
        "memo",
        "narrative",
        "purpose",
        "concepto",
        "details",
        "detail",
        "text",
        "buchungstext",
        "umsatztext",
        "subject",
        "mededelingen",
        "note",
        "info",
    ),
    "partner_name": (
        "partner name",
        "name",
        "naam",
        "payee",
        "payer",
        "beguenstigter",
        "zahlungspflichtiger",
        "empfangername",
        "auftraggebername",
        "tegenrekeninghouder",
        "counterparty",
        "counterparty name",
        "nombre",
        "nom",
        "beneficiary",
        "tegenpartij",
    ),
    "account_number": (
        "tegenrekening",
        "tegenrekeningnummer",
        "counterparty account",
        "counter account",
        "gegenkonto",
        "kontonummer iban",
        "iban",
        "bank account",
        "cuenta bancaria",
        "compte",
    ),
    "own_account": (
        "rekening",
        "rekeningnummer",
        "auftragskonto",
        "kontonummer",
        "account number",
        "account",
        "eigen rekening",
    ),
    "currency": (
        "currency",
        "waehrung",
        "wahrung",
        "valutacode",
        "devise",
        "divisa",
        "moneda",
        "ccy",
        "munt",
        "net currency",
        "gross currency",
    ),
    "dc_indicator": (
        "d c",
        "af bij",
        "creditdebet",
        "debetcredit",
        "debit credit",
        "credit debit",
        "soll haben",
        "dc",
        "cd",
    ),
}
# Keywords only matched as the whole header (too short or too generic).
_WHOLE_ONLY = {
    "ref",
    "data",
    "dato",
    "net",
    "nom",
    "text",
    "info",
    "note",
    "rekening",
    "kontonummer",
    "account",
    "detail",
    "d c",
    "dc",
    "cd",
}


def normalise(name):
    """Lower-case, accent-free, words separated by single spaces."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(re.split(r"[^0-9a-z]+", text.lower())).strip()


def keyword_rank(role, name):
    """Rank (lower is better) of header ``name`` for ``role``, or None."""
    norm = normalise(name)
    if not norm:
        return None
    padded = f" {norm} "
    for rank, key in enumerate(KEYS[role]):
        if norm == key:
            return rank
        if key not in _WHOLE_ONLY and f" {key} " in padded:
            return rank + 0.5
    return None


class _Column:
    """What detection learned about one column over the data rows."""

    def __init__(self, index):
        self.index = index
        self.filled = 0
        self.dates = 0  # typed date cells (XLSX) or date-shaped texts
        self.date_texts = set()
        self.date_texts_capped = False
        self.numbers = 0
        self.typed_numbers = 0
        self.decimal_votes = collections.Counter()
        self.has_fraction = False
        self.signed = False
        self.distinct = set()
        self.distinct_capped = False
        self.text_length = 0
        self.upper_values = set()  # short upper-case texts (currencies)
        self.short_values = set()  # short texts, upper-cased (D/C indicators)
        self.ibans = 0
        self.samples = []  # raw cells of the first SAMPLE_ROWS data rows

    def add(self, value, keep_sample):
        if keep_sample:
            self.samples.append(value)
        text = _cell_text(value)
        if not text:
            return
        self.filled += 1
        if not self.distinct_capped:
            self.distinct.add(text)
            if len(self.distinct) > DISTINCT_CAP:
                self.distinct_capped = True
        self.text_length += len(text)
        if isinstance(value, datetime.date):
            self.dates += 1
            return
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.numbers += 1
            self.typed_numbers += 1
            if isinstance(value, float) and not value.is_integer():
                self.has_fraction = True
            if value < 0:
                self.signed = True
            return
        if len(text) <= 8 and len(self.short_values) < 20:
            self.short_values.add(text.upper())
            if text.upper() == text:
                self.upper_values.add(text)
        if 14 < len(text) < 48 and text[:2].isalpha() and _IBAN.fullmatch(text.replace(" ", "")):
            self.ibans += 1
        if _DATE_SHAPE.fullmatch(text):
            self.dates += 1
            if len(self.date_texts) < DISTINCT_CAP:
                self.date_texts.add(text)
            else:
                self.date_texts_capped = True
            return
        if _HAS_DIGIT(text) and _NUMBER_SHAPE.fullmatch(text):
            self.numbers += 1
            _vote_decimal(text, self)

    @property
    def is_date(self):
        return self.filled and self.dates == self.filled

    @property
    def is_number(self):
        return self.filled and self.numbers == self.filled

    @property
    def is_amount(self):
        """Numeric, and written like money rather than like an id."""
        return self.is_number and (self.has_fraction or self.signed or self.decimal_votes)

    @property
    def constant(self):
        return len(self.distinct) == 1


def _vote_decimal(text, column):
    digits = text.strip("'").strip()
    if digits[:1] in "+-" or digits.endswith("-") or digits.startswith("("):
        column.signed = True
    last_dot, last_comma = digits.rfind("."), digits.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        column.decimal_votes["." if last_dot > last_comma else ","] += 2
        column.has_fraction = True
        return
    for sep in (".", ","):
        if digits.count(sep) == 1:
            tail = re.match(r"\d*", digits[digits.index(sep) + 1 :])[0]
            if len(tail) != 3:
                column.decimal_votes[sep] += 2
                column.has_fraction = True
            else:
                column.decimal_votes[sep + "?"] += 1  # 1,234 : either way
        elif digits.count(sep) > 1:
            column.decimal_votes["," if sep == "." else "."] += 2


# --------------------------------------------------------------------------


def detect(data, filename=None):
    """Return a :class:`SheetMapping` proposed for ``data`` (CSV or XLSX bytes).

    Raises :class:`ParseError` when no table of dated amounts can be found.
    ``filename`` only serves as a hint (``.xls`` gets a clear message).
    """
    if not data or not data.strip():
        raise ParseError(_lt("the file is empty"))
    if is_xls(data):
        raise ParseError(XLS_MESSAGE)
    warnings = []
    settings = {}
    if is_xlsx(data):
        rows, title = open_workbook_rows(data)
        settings["sheet_name"] = title
        settings["encoding"] = None
    else:
        if filename and filename.lower().endswith(".xls"):
            pass  # an .xls name on CSV text: the content decides
        encoding = csv_codec(data)
        head = head_text(data, encoding, _HEAD_BYTES)
        if len(data) > _HEAD_BYTES and "\n" in head:
            head = head[: head.rindex("\n")]  # the last line may be cut
        delimiter = _detect_delimiter(head)
        settings.update(encoding=encoding, delimiter=delimiter, quotechar='"')
        rows = iter_csv_stream(data, encoding, delimiter, '"')
    head = list(itertools.islice(rows, STRUCTURE_ROWS))
    first_data, header_index = _find_table(head)
    header = None
    if header_index is not None:
        header = [_cell_text(cell) for cell in head[header_index]]
        settings.update(has_header=True, header_rows=header_index)
    else:
        settings.update(has_header=False, header_rows=first_data)
    columns, footer_rows = _scan_columns(itertools.chain(head[first_data:], rows))
    settings["footer_rows"] = footer_rows
    if footer_rows:
        warnings.append(
            _lt(
                "the last %(footer_rows)s row(s) hold no transaction: skipped",
                footer_rows=footer_rows,
            )
        )
    width = len(columns)
    names = [
        (header[i] if header and i < len(header) and header[i] else f"column {i + 1}")
        for i in range(width)
    ]
    builder = _RoleBuilder(columns, names, header, warnings)
    roles = builder.build()
    settings.update(roles)
    mapping_values = dict(settings)
    mapping_values["warnings"] = warnings
    try:
        mapping = SheetMapping(**mapping_values)
    except ParseError as error:
        raise ParseError(
            _lt("cannot detect the layout of this file: %(error)s", error=error.text())
        ) from None
    _check_sample(mapping, header, columns, warnings)
    return mapping


def _detect_delimiter(text):
    lines = [line for line in text.splitlines()[:60] if line.strip()]
    if not lines:
        raise ParseError(_lt("the file is empty"))
    try:
        hint = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|").delimiter
    except csv.Error:
        hint = None
    best = None
    for delimiter in (",", ";", "\t", "|"):
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        mode, mode_count = collections.Counter(counts).most_common(1)[0]
        multi = sum(count >= 2 for count in counts) / len(counts)
        score = (multi + mode_count / len(counts)) / 2 if mode >= 2 else 0
        score += 0.01 if delimiter == hint else 0
        if best is None or score > best[0]:
            best = (score, delimiter)
    if best[0] < 0.5:
        raise ParseError(
            _lt(
                "the file does not look like a table: no delimiter (, ; tab |) splits its lines "
                "into columns",
            )
        )
    return best[1]


def _cell_kind(value):
    if value is None:
        return "empty"
    if isinstance(value, datetime.date):
        return "date"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "number"
    text = value.strip()
    if not text:
        return "empty"
    if _DATE_SHAPE.fullmatch(text):
        if len(text) == 8 and text.isdigit():
            try:
                datetime.datetime.strptime(text, "%Y%m%d")
            except ValueError:
                return "number"
            if not 1950 <= int(text[:4]) <= 2100:
                return "number"
        return "date"
    if _HAS_DIGIT(text) and _NUMBER_SHAPE.fullmatch(text):
        return "number"
    return "text"


def _row_is_data(row):
    """True when the row has a date cell and a number cell."""
    seen = set()
    for cell in row:
        kind = _cell_kind(cell)
        if kind == "date" or kind == "number":
            seen.add(kind)
            if len(seen) == 2:
                return True
    return False


def _looks_like_labels(row):
    kinds = [_cell_kind(cell) for cell in row]
    texts = kinds.count("text")
    return texts >= 2 and "date" not in kinds and texts >= kinds.count("number")


def _find_table(head):
    """Return (index of the first data row, index of the header or None)."""
    nonblank = [i for i, row in enumerate(head) if not _is_blank(row)]
    if not nonblank:
        raise ParseError(_lt("the file is empty"))
    data_flags = {i: _row_is_data(head[i]) for i in nonblank}
    for position, index in enumerate(nonblank):
        if not data_flags[index]:
            continue
        following = nonblank[position + 1 : position + 6]
        if following and sum(data_flags[i] for i in following) * 2 < len(following):
            continue
        previous = nonblank[position - 1] if position else None
        if previous is not None and previous == index - 1 and _looks_like_labels(head[previous]):
            return index, previous
        return index, None
    if any(_looks_like_labels(head[i]) for i in nonblank):
        raise ParseError(_lt("the file holds a header but no transaction rows"))
    raise ParseError(_lt("no rows with a date and an amount were found in the file"))


def _scan_columns(rows):
    """Type every column over the data rows; return (columns, footer rows).

    The first ``SAMPLE_ROWS`` data rows are typed fully; after them only the
    texts of date columns are collected (every date must fit the format) so
    that a large file is scanned at close to csv speed. Rows without a date
    and an amount are held back: at the end of the file they are a footer
    (totals, an opening balance line); in the middle they are kept so that
    parsing reports them.
    """
    columns = []
    pending = []
    kept = 0
    rows = iter(rows)
    for row in rows:
        if _is_blank(row):
            continue
        if not _row_is_data(row):
            pending.append(row)
            if len(pending) > 5:
                raise ParseError(
                    _lt(
                        "the table is interrupted by rows without a date and an amount; give a "
                        "mapping",
                    )
                )
            continue
        pending.append(row)
        for held in pending:
            _add_row(columns, held, True)
            kept += 1
        pending = []
        if kept >= SAMPLE_ROWS:
            break
    else:
        return columns, len(pending)
    date_columns = [c for c in columns if c.is_date and c.date_texts]
    tail = _scan_dates(rows, date_columns)
    footer = 0
    while tail and not _row_is_data(tail[-1]):
        tail.pop()
        footer += 1
    for row in tail:
        _add_dates(date_columns, row)
    return columns, footer


def _scan_dates(rows, date_columns):
    """Collect the date texts of ``rows`` past the sample; return the last
    ``FOOTER_WINDOW`` non-blank rows unread (they may be a footer).

    Rows are taken in blocks and each date column is gathered with a C-level
    ``map(itemgetter)`` into a set of distinct texts, so this pass costs about
    what ``csv.reader`` itself costs; a block with a short row (a blank line)
    goes row by row.
    """
    getters = [(column, operator.itemgetter(column.index)) for column in date_columns]
    carry = []
    while True:
        chunk = list(itertools.islice(rows, _SCAN_BLOCK))
        if not chunk:
            break
        body, carry = _hold_back(carry + chunk, FOOTER_WINDOW)
        for column, getter in getters:
            try:
                values = set(map(getter, body))
            except IndexError:
                for row in body:
                    _add_dates([column], row)
            else:
                _merge_dates(column, values)
    return [row for row in carry if not _is_blank(row)]


def _hold_back(block, keep):
    """Split ``block`` so that the second part holds its last ``keep``
    non-blank rows (and the blank rows among them)."""
    index = len(block)
    found = 0
    while index and found < keep:
        index -= 1
        if not _is_blank(block[index]):
            found += 1
    return block[:index], block[index:]


def _merge_dates(column, values):
    texts = column.date_texts
    for value in values:
        if isinstance(value, str) and value not in texts:
            text = value.strip()
            if not text:
                continue
            if len(texts) < DISTINCT_CAP:
                texts.add(text)
            else:
                column.date_texts_capped = True


def _add_dates(date_columns, row):
    for column in date_columns:
        if column.index < len(row):
            _merge_dates(column, (row[column.index],))


def _add_row(columns, row, keep_sample):
    while len(columns) < len(row):
        column = _Column(len(columns))
        if columns:
            column.samples = [None] * len(columns[0].samples)
        columns.append(column)
    for index, column in enumerate(columns):
        column.add(row[index] if index < len(row) else None, keep_sample)


def _plausible(date):
    return 1950 <= date.year <= 2100


def _date_formats(column):
    """Formats under which every text value of the column is a valid date."""
    texts = sorted(column.date_texts)
    if not texts:
        return None  # typed dates only (XLSX): no format needed
    formats = []
    for fmt in DATE_FORMATS:
        parser = _DateParser(fmt)
        try:
            if all(_plausible(parser(text)) for text in texts):
                formats.append(fmt)
        except ValueError:
            continue
    return formats


def _monotonic(values):
    pairs = list(itertools.pairwise(values))
    return all(a <= b for a, b in pairs) or all(a >= b for a, b in pairs)


class _RoleBuilder:
    """Assign mapping roles to typed columns, noting every doubt."""

    def __init__(self, columns, names, header, warnings):
        self.columns = columns
        self.names = names
        self.header = header
        self.warnings = warnings
        self.taken = set()
        self.values = {}

    def ref(self, column):
        """How the mapping names a column: its header text, else its index."""
        name = self.header[column.index] if self.header and column.index < len(self.header) else ""
        if name and self.header.count(name) == 1:
            return name
        return column.index

    def ranked(self, role, candidates):
        scored = []
        for column in candidates:
            if column.index in self.taken:
                continue
            rank = keyword_rank(role, self.names[column.index]) if self.header else None
            if rank is None:
                continue
            words = normalise(self.names[column.index]).split()
            rank += -0.25 if "net" in words else 0.25 if "gross" in words else 0
            scored.append((rank, column.index, column))
        return [column for _rank, _index, column in sorted(scored)]

    def take(self, role, column):
        self.taken.add(column.index)
        self.values[role] = self.ref(column)

    def build(self):
        self._separators()
        self._dates()
        self._amounts()
        self._currencies()
        self._texts()
        return self.values

    # -- numbers -----------------------------------------------------------

    def _separators(self):
        votes = collections.Counter()
        for column in self.columns:
            if column.is_number and not column.is_date:
                votes.update(column.decimal_votes)
        if votes["."] or votes[","]:
            decimal = "." if votes["."] >= votes[","] else ","
            if votes["."] and votes[","]:
                self.warnings.append(
                    _lt(
                        "amounts are written with both '.' and ',' as decimal separator; chose "
                        "%(decimal)r",
                        decimal=decimal,
                    )
                )
        elif votes[".?"] or votes[",?"]:
            decimal = "," if votes[".?"] > votes[",?"] else "."
            self.warnings.append(
                _lt(
                    "the decimal separator is ambiguous (values like 1,234 or 1.234 only); chose "
                    "%(decimal)r",
                    decimal=decimal,
                )
            )
        else:
            decimal = "."
        self.values["decimal_sep"] = decimal
        self.values["thousands_sep"] = "," if decimal == "." else "."
        self.amount_parser = _AmountParser(decimal, self.values["thousands_sep"])

    def _decimal(self, value):
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value))
        text = _cell_text(value)
        if not text:
            return None
        try:
            return self.amount_parser(text)
        except (ValueError, ArithmeticError):
            return None

    # -- dates -------------------------------------------------------------

    def _dates(self):
        found = []
        for column in self.columns:
            if not column.is_date:
                continue
            formats = _date_formats(column)
            if formats == []:
                continue
            found.append((column, formats))
        if not found:
            raise ParseError(_lt("no column holds dates in a known format"))
        by_index = {column.index: formats for column, formats in found}
        candidates = [column for column, _formats in found]
        date = (self.ranked("date", candidates) or [None])[0]
        value_date = (self.ranked("value_date", candidates) or [None])[0]
        if value_date is date:
            value_date = None
        if date is None:
            # The only date column may look like a value date: it is then the date.
            rest = [c for c in candidates if c is not value_date] or [value_date]
            date = rest[0]
            if date is value_date:
                value_date = None
            if self.header:
                self.warnings.append(
                    _lt(
                        "no header names the booking date; took %(name)r",
                        name=self.names[date.index],
                    )
                )
        self.take("date", date)
        if value_date is None and not self.header:
            rest = [c for c in candidates if c is not date]
            value_date = rest[0] if rest else None
        self.values["date_format"] = self._choose_format(date, by_index[date.index])
        if value_date is not None:
            self.take("value_date", value_date)
            fmt = self._choose_format(value_date, by_index[value_date.index])
            if fmt != self.values["date_format"]:
                self.values["value_date_format"] = fmt

    def _choose_format(self, column, formats):
        if formats is None:
            return "%Y-%m-%d"  # typed cells: the format is only for text cells
        if len(formats) == 1:
            return formats[0]
        texts = [_cell_text(v) for v in column.samples if _cell_text(v)]
        ordered = [f for f in formats if _monotonic([_DateParser(f)(t) for t in texts])]
        choice = None
        if len(ordered) == 1:
            choice = ordered[0]
        else:
            pool = ordered or formats
            day_first = [f for f in pool if f.index("%d") < f.index("%m")]
            if self.values["decimal_sep"] == "," and day_first:
                choice = day_first[0]
            else:
                choice = pool[0]
        name = self.names[column.index]
        self.warnings.append(
            _lt(
                "dates in %(name)r fit several formats (%(values)s); chose %(choice)s",
                name=name,
                values=", ".join(formats),
                choice=choice,
            )
        )
        return choice

    # -- amounts -----------------------------------------------------------

    def _amounts(self):
        numeric = [
            c
            for c in self.columns
            if c.index not in self.taken
            and (c.is_amount or (c.is_number and c.typed_numbers) or not c.filled)
        ]
        for role in ("foreign_amount", "balance_before", "balance", "fee"):
            best = self.ranked(role, [c for c in numeric if c.filled])
            if best:
                if role == "fee":
                    self.taken.update(c.index for c in best)
                else:
                    self.take(role, best[0])
        dc = self._dc_column()
        debit = self.ranked("debit", numeric)
        credit = self.ranked("credit", numeric)
        split = {c.index for c in debit + credit}
        amount = [c for c in self.ranked("amount", numeric) if c.index not in split and c.filled]
        if dc is not None and amount:
            self.take("amount", amount[0])
            self.take("dc_indicator", dc)
            self.values["amount_mode"] = "amount_dc"
        elif (
            debit
            and credit
            and (debit[0].filled or credit[0].filled)
            and (not amount or debit[0].index < amount[0].index)
        ):
            self.take("debit", debit[0])
            self.take("credit", credit[0])
            self.values["amount_mode"] = "debit_credit"
        elif amount and amount[0].filled:
            self.take("amount", amount[0])
        else:
            self._amount_by_content(numeric)
        self._check_balance()

    def _dc_column(self):
        for column in self.columns:
            if column.index in self.taken or column.is_number or not column.filled:
                continue
            values = column.short_values
            if not values or len(column.distinct) > 2:
                continue
            for debits, credits in _DC_PAIRS:
                if values <= debits | credits and (
                    (values & debits and values & credits) or self.ranked("dc_indicator", [column])
                ):
                    return column
        return None

    def _amount_by_content(self, numeric):
        single_row = max(c.filled for c in self.columns) <= 1
        free = [
            c
            for c in numeric
            if c.index not in self.taken
            and c.is_amount
            and (single_row or not c.constant)
            and not (self.header and keyword_rank("balance", self.names[c.index]))
        ]
        if not free:
            if "balance" in self.values or "balance_before" in self.values:
                raise ParseError(
                    _lt(
                        "the file has balances but no amount column: it looks like a balance "
                        "history, not a list of transactions",
                    )
                )
            raise ParseError(_lt("no column holds amounts"))
        for amount in free:
            for balance in free:
                if balance is amount:
                    continue
                relation = self._relation(self._sample_amounts(amount), balance)
                if relation:
                    self.take("amount", amount)
                    role = "balance_before" if relation[0] == "before" else "balance"
                    self.take(role, balance)
                    return
        choice = free[0]
        self.take("amount", choice)
        others = [self.names[c.index] for c in free if c is not choice]
        if others:
            self.warnings.append(
                _lt(
                    "took %(name)r as the amount; other numeric columns: %(others)s",
                    name=self.names[choice.index],
                    others=", ".join(others),
                )
            )

    def _sample_amounts(self, amount_column=None):
        if amount_column is not None:
            return [self._decimal(v) for v in amount_column.samples]
        mode = self.values.get("amount_mode", "signed")
        col = {c.index: c for c in self.columns}
        refs = {role: self._index(role) for role in ("amount", "debit", "credit", "dc_indicator")}
        result = []
        length = len(self.columns[0].samples)
        for row in range(length):

            def cell(role, row=row):
                index = refs[role]
                return col[index].samples[row] if index is not None else None

            if mode == "debit_credit":
                debit, credit = (
                    self._decimal(cell("debit")),
                    self._decimal(cell("credit")),
                )
                if debit is None and credit is None:
                    result.append(None)
                    continue
                result.append(abs(credit or 0) - abs(debit or 0))
            else:
                value = self._decimal(cell("amount"))
                if value is not None and mode == "amount_dc":
                    flag = _cell_text(cell("dc_indicator")).upper()
                    value = -abs(value) if flag in DEFAULT_DEBIT_VALUES else abs(value)
                result.append(value)
        return result

    def _index(self, role):
        ref = self.values.get(role)
        if ref is None or isinstance(ref, int):
            return ref
        return self.header.index(ref)

    def _groups(self):
        """Sample row numbers grouped by the value of any currency-like column."""
        length = len(self.columns[0].samples)
        currency = [
            c
            for c in self.columns
            if not c.is_number and c.upper_values and c.upper_values <= _CURRENCIES
        ]
        if not currency:
            return [list(range(length))]
        groups = collections.defaultdict(list)
        for row in range(length):
            groups[_cell_text(currency[0].samples[row])].append(row)
        return list(groups.values())

    def _relation(self, amounts, balance_column):
        """How a balance column follows the amounts over the sample rows.

        Returns ``(when, inverted)`` with when ``after`` or ``before``, or None.
        """
        balances = [self._decimal(v) for v in balance_column.samples]
        ascending = {
            ("after", False): lambda b0, b1, a0, a1: b1 - b0 == a1,
            ("after", True): lambda b0, b1, a0, a1: b0 - b1 == a1,
            ("before", False): lambda b0, b1, a0, a1: b1 - b0 == a0,
            ("before", True): lambda b0, b1, a0, a1: b0 - b1 == a0,
        }
        descending = {
            ("after", False): lambda b0, b1, a0, a1: b0 - b1 == a0,
            ("after", True): lambda b0, b1, a0, a1: b1 - b0 == a0,
            ("before", False): lambda b0, b1, a0, a1: b0 - b1 == a1,
            ("before", True): lambda b0, b1, a0, a1: b1 - b0 == a1,
        }
        order = self._date_order()
        pairs = []
        for group in self._groups():
            rows = [r for r in group if balances[r] is not None and amounts[r] is not None]
            pairs.extend(itertools.pairwise(rows))
        if not pairs:
            return None
        for key in ascending:
            for direction, tests in (("asc", ascending), ("desc", descending)):
                if order not in (None, direction):
                    continue
                if all(
                    tests[key](balances[r0], balances[r1], amounts[r0], amounts[r1])
                    for r0, r1 in pairs
                ):
                    return key
        return None

    def _date_order(self):
        """``asc``/``desc`` when the sampled dates say so, else None."""
        index = self._index("date")
        if index is None:
            return None
        parser = _DateParser(self.values["date_format"])
        dates = []
        for value in self.columns[index].samples:
            if isinstance(value, datetime.datetime):
                dates.append(value.date())
            elif isinstance(value, datetime.date):
                dates.append(value)
            elif _cell_text(value):
                try:
                    dates.append(parser(_cell_text(value)))
                except ValueError:
                    return None
        if not dates or dates[0] == dates[-1]:
            return None
        if all(a <= b for a, b in itertools.pairwise(dates)):
            return "asc"
        if all(a >= b for a, b in itertools.pairwise(dates)):
            return "desc"
        return None

    def _check_balance(self):
        role = "balance" if "balance" in self.values else "balance_before"
        if role not in self.values:
            return
        column = self.columns[self._index(role)]
        relation = self._relation(self._sample_amounts(), column)
        name = self.names[column.index]
        if relation is None:
            self.warnings.append(
                _lt(
                    "the balances in %(name)r do not follow the amounts; check the amount "
                    "columns and the sign",
                    name=name,
                )
            )
            return
        when, inverted = relation
        if when == "before" and role == "balance":
            self.values["balance_before"] = self.values.pop("balance")
            self.warnings.append(_lt("%(name)r is the balance before each row", name=name))
        if inverted:
            self.values["invert_sign"] = True
            self.warnings.append(
                _lt(
                    "the balances in %(name)r move against the amounts as written: signs "
                    "inverted (the export is written from the bank's books)",
                    name=name,
                )
            )

    # -- currencies and texts ---------------------------------------------

    def _currencies(self):
        found = [
            c
            for c in self.columns
            if c.index not in self.taken
            and c.filled
            and not c.is_number
            and c.upper_values
            and c.upper_values <= _CURRENCIES
            and len(c.distinct) <= len(c.upper_values)
        ]
        if not found:
            return
        keyed = self.ranked("currency", found) + [
            c for c in found if c not in self.ranked("currency", found)
        ]
        if "foreign_amount" in self.values:
            foreign = [
                c
                for c in keyed
                if {"original", "foreign", "ursprung"}
                & set(normalise(self.names[c.index]).split())
            ]
            if foreign:
                self.take("foreign_currency", foreign[0])
                keyed = [c for c in keyed if c is not foreign[0]]
            else:
                self.take("foreign_currency", keyed.pop(0))
                self.warnings.append(
                    _lt(
                        "the currency column is read as the currency of the original (foreign) "
                        "amount",
                    )
                )
                return
        if keyed:
            self.take("currency", keyed[0])

    def _texts(self):
        free = [c for c in self.columns if c.index not in self.taken and c.filled]
        n_rows = max((c.filled for c in self.columns), default=0)
        for column in self.ranked("unique_id", free):
            if (
                column.filled == n_rows
                and not column.distinct_capped
                and len(column.distinct) == n_rows
                and n_rows > 1
            ):
                self.take("unique_id", column)
                break
        labels = self.ranked("label", free)
        if labels:
            self.taken.add(labels[0].index)
        for role in ("own_account", "account_number", "partner_name", "ref"):
            for column in self.ranked(role, free):
                if role == "own_account" and not column.constant:
                    continue
                self.take(role, column)
                break
        ibans = [c for c in free if c.index not in self.taken and c.ibans == c.filled]
        for column in ibans:
            own = column.constant and column.filled == n_rows and n_rows > 1
            role = "own_account" if own else "account_number"
            if role not in self.values:
                self.take(role, column)
        if labels:
            self.values["label"] = [self.ref(labels[0])]
            notes = [c for c in labels[1:] if c.index not in self.taken]
        else:
            texts = [
                c
                for c in free
                if c.index not in self.taken
                and not c.is_number
                and not c.is_date
                and len(c.distinct) > 1
            ]
            if texts:
                best = max(texts, key=lambda c: c.text_length / c.filled)
                self.values["label"] = [self.ref(best)]
                self.taken.add(best.index)
                if self.header:
                    self.warnings.append(
                        _lt(
                            "no header names the description; took %(name)r",
                            name=self.names[best.index],
                        )
                    )
            notes = []
        self.values["notes"] = [self.ref(c) for c in notes]
        self.taken.update(c.index for c in notes)
        if self.header and len(self.columns) > len(self.header):
            extra = list(range(len(self.header), len(self.columns)))
            self.values["notes"].extend(extra)
            self.warnings.append(
                _lt(
                    "rows have %(length)s more cell(s) than the header: read as notes",
                    length=len(extra),
                )
            )


def _check_sample(mapping, header, columns, warnings):
    """Parse the sampled rows with the proposed mapping; note what fails.

    Zero-amount rows (bank notices, e.g. ING and Livebank) switch on
    ``skip_zero_amount``.
    """
    length = len(columns[0].samples) if columns else 0
    rows = [[column.samples[row] for column in columns] for row in range(length)]
    trial = SheetMapping.from_dict(
        {
            **mapping.to_dict(),
            "header_rows": 0,
            "footer_rows": 0,
            "has_header": bool(header),
        }
    )
    try:
        statements = _Parser(trial).run(([header] if header else []) + rows)
    except ParseError as error:
        warnings.append(
            _lt("the proposed mapping fails on the first rows: %(error)s", error=error.text())
        )
        return
    zeros = sum(not t.amount for s in statements for t in s.transactions)
    if zeros:
        mapping.skip_zero_amount = True
        warnings.append(
            _lt("%(zeros)s row(s) with a zero amount (notices) are skipped", zeros=zeros)
        )
