"""QIF (Quicken Interchange Format) statement parser.

A QIF file is a list of sections (``!Type:Bank``, ``!Type:Cash``,
``!Type:CCard``, ``!Type:Oth A``, ``!Type:Oth L``) of records made of lines
``<letter><value>`` and ended by ``^``. ``!Account`` records (``N`` name, ``T``
type, ``D`` description) name the account the following sections belong to, so
a file exported for several accounts gives one statement per account (in the
order they first appear; sections of the same account are merged).
Investment (``!Type:Invst``), category, class, memorised and security lists
are skipped; a file with no bank-like section is refused.

Fields: ``D`` date, ``T`` amount (``U`` when ``T`` is missing), ``P`` payee ->
``partner_name``, ``M`` memo, ``N`` check number / reference -> ``ref``,
``L`` category or ``[transfer account]``, ``A`` address lines, ``C`` cleared
status; splits ``S`` category, ``E`` memo, ``$`` amount, ``%`` percentage. All
of them are kept in ``raw`` (splits as ``raw["splits"]``); splits and the
address are also written in ``narration``. ``label`` = memo, else payee.

QIF has no balances and no bank ids: ``balance_start``/``balance_end`` and
``unique_import_id`` stay ``None`` (the import layer fingerprints).
``account_number`` is ``None`` too; the account's name and type are in
``raw["account_name"]``/``raw["account_type"]``. A Quicken "Opening Balance"
record (payee ``Opening Balance``) is kept as a transaction and flagged
``raw["opening_balance"]``.

Dates: ``M/D/Y``, ``D/M/Y``, ``Y-M-D``, separators ``/ - .``, an apostrophe
before the year (``2/10'2020``, which Quicken writes for years from 2000),
2- or 4-digit years, blanks inside (``1/ 2/98``) and ``YYYYMMDD``. Two-digit
years: with an apostrophe 20YY, else 19YY from 70 on and 20YY below.
The day/month order is decided for the WHOLE file, never per line: the orders
(``mdy``, ``dmy``, ``ymd``) under which every date of the file is a real date
are kept; if one remains it is used, if several remain the ``date_order``
option decides (default ``mdy``, as Quicken writes; then ``dmy``, then ``ymd``)
and ``raw["date_order_ambiguous"]`` records the candidates. So a file with a
``15/8/13`` is read day first, one with ``8/15/13`` month first. A 4-digit
first field means ``ymd``. With ``date_order`` given and impossible for some
date, :class:`~.errors.ParseError` names that line. A one-digit last field
can only be a day (``13/3/3`` is ``ymd``); a ``YY/MM/DD`` file whose every date
also reads as ``D/M/YY`` is ambiguous and needs ``date_order="ymd"``.

Amounts: ``1,234.56``, ``-1.234,56``, ``1 234,56``, ``-184.8``. The decimal
mark is decided for the whole file too: a comma followed by one or two final
digits anywhere (``12,5`` / ``-10,50``) or a dot before a comma means a decimal
comma; otherwise a dot. Option ``decimal_separator`` (``"."`` or ``","``)
forces it.

Options (keyword-only):

``date_order``
    ``"mdy"``, ``"dmy"`` or ``"ymd"``: the order to use when the file allows
    several (and to check every date against when given).
``decimal_separator``
    ``"."`` or ``","``; by default inferred from the whole file.
``encoding``
    Codec of the file; by default UTF-8 when valid, else cp1252/latin-1.
``max_size``
    Byte limit (default :data:`~.common.MAX_FILE_SIZE`).
"""

import datetime
import re
from decimal import Decimal

from .common import MAX_FILE_SIZE, check_size, decode_as, decode_text, iter_lines, pausing_gc
from .errors import ParseError, _lt
from .result import ParsedStatement, Transaction

FORMAT = "qif"

_BANK_TYPES = {
    "bank": "Bank",
    "cash": "Cash",
    "ccard": "CCard",
    "oth a": "Oth A",
    "oth l": "Oth L",
}
_ORDERS = ("mdy", "dmy", "ymd")
_SNIFF = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:\s*#[^\n]*\n)*\s*!(?:type:|account|option:)",
    re.IGNORECASE,
)


def sniff(data):
    """Return True when ``data`` starts with a QIF ``!Type:``/``!Account`` line."""
    return bool(_SNIFF.match(data[:4096]))


# --------------------------------------------------------------------------- dates

_DATE = re.compile(r"(?P<a>\d{1,4})\s*[/.-]\s*(?P<b>\d{1,2})\s*(?P<sep>[/.-]|')\s*(?P<c>\d{1,4})")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _year(text, apostrophe):
    value = int(text)
    if len(text) == 4:
        return value
    if len(text) != 2:
        return None
    if apostrophe:
        return 2000 + value
    return 1900 + value if value >= 70 else 2000 + value


def _date_fields(text):
    """Return ``(a, b, c, apostrophe)`` of a QIF date, or None if unreadable."""
    value = text.strip()
    match = _DATE.fullmatch(value)
    if match:
        return match["a"], match["b"], match["c"], match["sep"] == "'"
    match = _COMPACT_DATE.fullmatch(value)
    if match:
        return match.group(1), match.group(2), match.group(3), False
    return None


def _as_date(fields, order):
    """Return the date of ``fields`` read in ``order``, or None if impossible."""
    a, b, c, apostrophe = fields
    if order == "ymd":
        if apostrophe or len(c) > 2:
            return None
        year, month, day = _year(a, False), int(b), int(c)
    else:
        if len(a) > 2:
            return None
        year = _year(c, apostrophe)
        month, day = (int(a), int(b)) if order == "mdy" else (int(b), int(a))
    if year is None:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _date_order(dates, option):
    """Decide the date order for the file; return ``(order, raw notes)``."""
    if option is not None and option not in _ORDERS:
        raise ParseError(_lt("unknown date_order %(option)r (use mdy, dmy or ymd)", option=option))
    candidates = list(_ORDERS)
    for fields, where in dates:
        possible = [order for order in candidates if _as_date(fields, order)]
        if option and option not in possible:
            raise ParseError(
                _lt(
                    "date %(value)r is not a valid date in the %(option)s order",
                    value="/".join(fields[:3]),
                    option=option,
                ),
                _at(where),
            )
        if not possible:
            raise ParseError(
                _lt(
                    "invalid date %(value)r (no day/month order fits it together with the file's "
                    "other dates: %(orders)s)",
                    value="/".join(fields[:3]),
                    orders=", ".join(candidates),
                ),
                _at(where),
            )
        candidates = possible
    notes = {}
    if option:
        order = option
    else:
        order = candidates[0]  # _ORDERS is in preference order: mdy, dmy, ymd
    if len(candidates) > 1:
        notes["date_order_ambiguous"] = candidates
    notes["date_order"] = order
    return order, notes


# --------------------------------------------------------------------------- amounts

_COMMA_DECIMAL = re.compile(r"(?:,\d{1,2}$)|(?:\.\d*,)")


def _decimal_mark(amounts, option):
    if option is not None:
        if option not in (".", ","):
            raise ParseError(
                _lt("unknown decimal_separator %(option)r (use . or ,)", option=option)
            )
        return option
    for text, _where in amounts:
        if _COMMA_DECIMAL.search(text.strip()):
            return ","
    return "."


def _at(line):
    """The location of line ``line`` in messages.

    Records keep the bare line number of each field and the message is only
    made for an error: a location object per field took most of the memory
    of a large file's parse.
    """
    return _lt("line %(line)s", line=line)


def _amount(text, mark, where):
    """Return a Decimal; ``mark`` is the decimal mark, the other one groups;
    ``where`` is the line number."""
    value = text.strip()
    number = value.replace(" ", "").replace("'", "")
    thousands = "," if mark == "." else "."
    sign = number[:1] if number[:1] in ("+", "-") else ""
    body = number[len(sign) :]
    integer, _mark, fraction = body.rpartition(mark) if mark in body else (body, "", "")
    groups = integer.split(thousands)
    grouped = len(groups) == 1 or (
        1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])
    )
    if (
        not (integer or fraction)
        or not grouped
        or not all(group.isdigit() for group in groups if integer)
        or (fraction and not fraction.isdigit())
    ):
        raise ParseError(_lt("invalid amount %(value)r", value=value), _at(where))
    return Decimal(f"{sign}{integer.replace(thousands, '') or '0'}.{fraction or '0'}")


# --------------------------------------------------------------------------- parse


class _Record:
    __slots__ = ("fields", "line", "splits")

    def __init__(self, line):
        self.fields = {}
        self.splits = []
        self.line = line


def _read_records(text):
    """Yield ``(section, account, record)`` for every record of bank sections.

    ``section`` is the bank type (``"Bank"``...) and ``account`` the
    ``(name, type)`` of the last ``!Account`` record, or None.
    """
    section = None  # None: outside any section; "" : a skipped section
    in_account = False
    account = None
    pending_account = {}
    record = None
    for number, line in enumerate(iter_lines(text), start=1):
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and record is None):
            continue
        if stripped.startswith("!"):
            if record is not None and record.fields:
                raise ParseError(
                    _lt("record not ended by '^' before a new section"),
                    _lt("line %(line)s", line=number),
                )
            record = None
            header = stripped[1:].strip().lower()
            if header == "account":
                in_account, section = True, None
                pending_account = {}
            elif header.startswith("type:"):
                in_account = False
                kind = " ".join(header[5:].split())
                section = _BANK_TYPES.get(kind, "")
            elif header.startswith(("option:", "clear:")):
                continue
            else:
                in_account, section = False, ""
            continue
        if in_account:
            if stripped == "^":
                if pending_account.get("N"):
                    account = (pending_account["N"], pending_account.get("T", ""))
                pending_account = {}
            else:
                pending_account[stripped[0]] = stripped[1:].strip()
            continue
        if section is None:
            raise ParseError(
                _lt("data before any '!Type:' header (not a QIF file?)"),
                _lt("line %(line)s", line=number),
            )
        if section == "":
            continue
        if stripped == "^":
            if record is not None and record.fields:
                yield section, account, record
            record = None
            continue
        if record is None:
            record = _Record(number)
        code, value = stripped[0], stripped[1:]
        where = number  # made a message only for an error (_at)
        if code == "S":
            record.splits.append({"category": value.strip(), "line": number})
        elif code in "E$%" and record.splits and code not in record.splits[-1]:
            record.splits[-1][code] = (value.strip(), where)
        elif code in "E$%":
            # An E/$ without its S: a split to no category.
            record.splits.append({"category": "", "line": number, code: (value, where)})
        elif code == "D" and record.splits:
            record.splits[-1]["D"] = (value.strip(), where)
        elif code == "A":
            record.fields.setdefault("A", []).append(value.strip())
        elif code in record.fields:
            raise ParseError(_lt("field %(code)r twice in one record", code=code), _at(where))
        else:
            record.fields[code] = (value, where)
    if record is not None and record.fields:
        # Last record without '^' (files cut after the last line): accept it.
        yield section, account, record


@pausing_gc
def parse(
    data,
    *,
    date_order=None,
    decimal_separator=None,
    encoding=None,
    max_size=MAX_FILE_SIZE,
):
    """Parse QIF ``data`` (bytes) into a list of :class:`ParsedStatement`.

    See the module docstring for the rules and options; raises
    :class:`ParseError`.
    """
    check_size(data, max_size)
    if not data.strip():
        raise ParseError(_lt("empty file"))
    text = decode_as(data, encoding) if encoding else decode_text(data)
    if not text.lstrip("\ufeff \t\r\n").startswith(("!", "#")):
        raise ParseError(_lt("not a QIF file (no '!Type:' header)"), _lt("line %(line)s", line=1))
    records = list(_read_records(text.lstrip("\ufeff")))
    if not records:
        raise ParseError(_lt("no bank, cash or credit card transactions in QIF file"))
    dates, amounts = [], []
    for _section, _account, record in records:
        if "D" not in record.fields:
            raise ParseError(
                _lt("transaction without date (D)"),
                _lt("line %(line)s", line=record.line),
            )
        amount = record.fields.get("T") or record.fields.get("U")
        if amount is None:
            raise ParseError(
                _lt("transaction without amount (T)"),
                _lt("line %(line)s", line=record.line),
            )
        dates.append(record.fields["D"])
        amounts.append(amount)
        for split in record.splits:
            if "D" in split:
                dates.append(split["D"])
            if "$" in split:
                amounts.append(split["$"])
    parsed_dates = []
    for text_value, where in dates:
        fields = _date_fields(text_value)
        if fields is None:
            raise ParseError(_lt("invalid date %(value)r", value=text_value.strip()), _at(where))
        parsed_dates.append((fields, where))
    order, notes = _date_order(parsed_dates, date_order)
    mark = _decimal_mark(amounts, decimal_separator)
    statements = {}
    for section, account, record in records:
        key = account or ("", section)
        statement = statements.get(key)
        if statement is None:
            raw = {"account_type": account[1] if account else section, **notes}
            raw["decimal_separator"] = mark
            if account:
                raw["account_name"] = account[0]
            statement = statements[key] = ParsedStatement(raw=raw)
        statement.transactions.append(_transaction(record, order, mark))
    return list(statements.values())


def _transaction(record, order, mark):
    fields = record.fields
    date_text, date_where = fields["D"]
    date = _as_date(_date_fields(date_text), order)
    amount_text, amount_where = fields.get("T") or fields["U"]
    amount = _amount(amount_text, mark, amount_where)
    payee = fields.get("P", ("", None))[0].strip()
    memo = fields.get("M", ("", None))[0].strip()
    raw = {"line": record.line}
    for code, name in (
        ("D", "date"),
        ("T", "amount"),
        ("U", "amount_u"),
        ("P", "payee"),
        ("M", "memo"),
        ("N", "number"),
        ("L", "category"),
        ("C", "cleared"),
    ):
        if code in fields:
            raw[name] = fields[code][0].strip()
    other = {
        code: value[0]
        for code, value in fields.items()
        if code not in "DTUPMNLCA" and isinstance(value, tuple)
    }
    if other:
        raw["other"] = other
    narration = []
    if "A" in fields:
        raw["address"] = fields["A"]
        narration.append(", ".join(filter(None, fields["A"])))
    if record.splits:
        raw["splits"] = []
        for split in record.splits:
            item = {"category": split["category"]}
            if "$" in split:
                item["amount"] = str(_amount(split["$"][0], mark, split["$"][1]))
            if "E" in split:
                item["memo"] = split["E"][0]
            if "%" in split:
                item["percent"] = split["%"][0]
            if "D" in split:
                item["date"] = _as_date(_date_fields(split["D"][0]), order).isoformat()
            raw["splits"].append(item)
            narration.append(
                "Split: "
                + " ".join(
                    filter(
                        None,
                        (item["category"], item.get("memo"), item.get("amount")),
                    )
                )
            )
    if payee.lower() == "opening balance":
        raw["opening_balance"] = True
    return Transaction(
        date=date,
        amount=amount,
        label=memo or payee,
        narration="\n".join(narration),
        ref=fields.get("N", ("", None))[0].strip() or None,
        partner_name=payee or None,
        raw=raw,
    )
