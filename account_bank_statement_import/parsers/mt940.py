"""SWIFT MT940 (customer statement) and MT942 (interim report) parser.

A file holds one or more messages, optionally in SWIFT envelopes
(``{1:...}{2:...}{4:`` ... ``-}``) or after bank header lines (``:940:``,
``ABNANL2A`` / ``940``). Each ``:20:`` starts a statement. Fields read:

``:20:`` reference (statement ``name``), ``:25:`` account, ``:28C:``/``:28:``
statement number, ``:60F:``/``:60M:`` opening and ``:62F:``/``:62M:`` closing
balance, ``:61:`` statement line, ``:86:`` its information (or, after the
closing balance, information on the statement), ``:64:``/``:65:`` available
balances, and for MT942 ``:34F:``, ``:13D:``, ``:90D:``/``:90C:``. Lines not
starting with a tag continue the previous field.

``:61:`` is ``YYMMDD[MMDD](C|D|RC|RD)[funds code]amount type ref[//bank ref]``
followed by optional supplementary details. The entry date has no year: the
year nearest to the value date is used (an entry on 0102 for value 31 Dec is
next year). ``RC`` (reversal of a credit) is money out, ``RD`` (reversal of a
debit) money in; the reversal is recorded in ``raw["reversal"]``. Dates are
strict: a value date of 30 Feb is an error, not a guess.

``:86:`` is mapped when it is structured:

- SEPA keyword style (``/EREF/.../NAME/.../IBAN/.../REMI/...``, ``/CNTP/iban/
  bic/name/city/``, ``/BENM//NAME/...``): ``EREF`` -> ``ref``, ``NAME`` ->
  ``partner_name``, ``IBAN``/``CNTP`` -> ``account_number``, ``REMI`` -> ``label``.
- German/Dutch subfield style (``GVC?00text?20...?29...?30bic?31account?32name``,
  with ``?`` or ``>`` as separator): ``?20``-``?29`` and ``?60``-``?63`` form the
  label (``SVWZ+`` text when present, ``EREF+`` -> ``ref``), ``?32``/``?33`` the
  partner, ``?31`` the account, ``?30`` the bank code or BIC.
- otherwise the text is the label.

``unique_import_id`` is the bank reference (after ``//`` in ``:61:``) when
present (never the customer reference, which is often ``NONREF``, nor a line
number); a reference used twice in a statement is dropped for both lines.

Options (keyword-only): ``encoding`` (default: BOM, then UTF-8, then cp1252;
give e.g. ``"cp852"`` for Central European DOS exports), ``max_size`` (bytes).
"""

import datetime
import re

from .common import (
    MAX_FILE_SIZE,
    check_size,
    decode_as,
    decode_text,
    parse_date,
    parse_decimal,
    pausing_gc,
)
from .errors import ParseError, _lt
from .result import ParsedStatement, Transaction

FORMAT = "mt940"

_TAG_RE = re.compile(r":(\d\d[A-Z]?):")
_SNIFF_TAG = re.compile(rb"(?:^|[\r\n{]|4:)[\r\n]*:(20|25|28C?|60[FM]|61|62[FM]):", re.M)
# Bank headers before a message ("ABNANL2A", "940", "0000 01INGB...", ":940:")
# are skipped; a line starting with ":" that is no tag is an error.
_PREAMBLE_RE = re.compile(r"[^:].*|:94[02]:|")
_BALANCE_RE = re.compile(r"([CD])(\d{6})([A-Z]{3})([\d,]+)")
_LINE61_RE = re.compile(
    r"(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|C|D|EC|ED)(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d,]*)(?P<type>[A-Z][A-Z0-9 ]{3})?(?P<rest>.*)",
    re.S,
)
_SEPA_KEYS = (
    "EREF|PREF|KREF|MARF|CSID|CNTP|REMI|RTRN|BENM|ORDP|NAME|ADDR|IBAN|BIC|ISDT|"
    "TRCD|BUSP|PURP|ULTC|ULTD|ULTB|CREF|IREF|EXCH|OCMT|CHGS|ACCW|SVCL|ID|CDTRREFTP|"
    "CDTRREF|CD|TP|ISSR"
)
_SEPA_RE = re.compile(rf"/({_SEPA_KEYS})/")
_SUBFIELD_RE = re.compile(r"^(\d{3})?([?>])\d\d")
_SEPA_INNER = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC)\+")
_IBAN_RE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_NOT_PROVIDED = {"NONREF", "NOTPROVIDED", ""}


def sniff(data):
    """Return True when the first 4 KB carry MT940/942 tags (``:20:`` and others)."""
    head = data[:4096]
    tags = {match.group(1) for match in _SNIFF_TAG.finditer(head)}
    return b"20" in tags and len(tags) >= 2


@pausing_gc
def parse(data, *, encoding=None, max_size=MAX_FILE_SIZE):
    """Parse an MT940/MT942 file (see the module docstring)."""
    check_size(data, max_size)
    text = decode_as(data, encoding) if encoding else decode_text(data)
    if not text.strip():
        raise ParseError(_lt("empty file"))
    fields = _fields(text)
    statements = []
    current = None
    for tag, value, line in fields:
        if tag == "20":
            current = _Statement(value.strip(), line)
            statements.append(current)
            continue
        if current is None:
            raise ParseError(
                _lt("field :%(tag)s: before any :20:", tag=tag),
                where=_lt("line %(line)s", line=line),
            )
        current.add(tag, value, line)
    if not statements:
        raise ParseError(
            _lt("no MT940 statement (no :20: field)"),
            where=_lt("line %(line)s", line=1),
        )
    return [statement.result() for statement in statements]


def _fields(text):
    """Yield ``(tag, value, line number)`` with continuation lines joined."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields = []
    in_message = False
    for number, raw_line in enumerate(lines, start=1):
        line = raw_line.strip("\x00\x01\x02\x03\x1a").rstrip()
        if line.startswith("{"):
            # SWIFT envelope: {1:..}{2:..}{3:{..}}{4:  then fields, "-}" closes.
            block4 = line.find("{4:")
            if block4 < 0:
                in_message = False
                continue
            line = line[block4 + 3 :].strip()
            in_message = True
            if not line:
                continue
        match = _TAG_RE.match(line)
        if match:
            fields.append([match.group(1), line[match.end() :], number])
            in_message = True
            continue
        if line in {"-", "-}"} and _message_ends(fields, lines, number):
            in_message = False
            continue
        if not in_message or not fields:
            if _PREAMBLE_RE.fullmatch(line.strip()):
                continue
            raise ParseError(
                _lt("unexpected text %(text)r outside a statement", text=line[:30]),
                where=_lt("line %(line)s", line=number),
            )
        if not line.strip() and fields[-1][0] != "86":
            continue
        fields[-1][1] += "\n" + line
    return fields


def _message_ends(fields, lines, number):
    """Tell a message-ending "-" from a "-" continuing an :86: text."""
    if not fields or fields[-1][0] != "86":
        return True
    if any(tag in {"62F", "62M", "90C", "90D"} for tag, _value, _line in fields[-6:]):
        return True
    following = lines[number] if number < len(lines) else ""
    following = following.strip("\x00\x01\x02\x03\x1a").strip()
    return not following or following.startswith((":", "{"))


class _Statement:
    def __init__(self, reference, line):
        self.reference = reference
        self.line = line
        self.account = None
        self.currency = None
        self.opening = None
        self.closing = None
        self.date = None
        self.transactions = []
        self.raw = {}
        self.ids = {}
        self.last_tag = "20"

    def add(self, tag, value, line):
        where = _lt("line %(line)s (:%(tag)s:)", line=line, tag=tag)
        if tag == "25":
            self.raw["account_field"] = value.strip()
        elif tag in {"28", "28C"}:
            self.raw["statement_number"] = value.replace("\n", "").strip()
        elif tag in {"60F", "60M"}:
            self.opening = _balance(value, where)
            self.currency = self.currency or self.opening[2]
        elif tag in {"62F", "62M"}:
            self.closing = _balance(value, where)
            self.currency = self.currency or self.closing[2]
        elif tag in {"64", "65"}:
            amount, date, currency = _balance(value, where)
            key = "available_balance" if tag == "64" else "forward_available_balance"
            self.raw.setdefault(key, []).append(
                {"amount": str(amount), "date": date.isoformat(), "currency": currency}
            )
        elif tag == "34F":
            match = re.fullmatch(r"([A-Z]{3})([CD]?)([\d,]+)", value.strip())
            if not match:
                raise ParseError(_lt("invalid floor limit %(value)r", value=value), where=where)
            self.currency = self.currency or match.group(1)
            self.raw["floor_limit"] = value.strip()
        elif tag == "13D":
            stamp = value.strip()
            self.date = _date(stamp[:6], "%y%m%d", where)
            self.raw["report_datetime"] = stamp
        elif tag in {"90D", "90C"}:
            self.raw["sum_debits" if tag == "90D" else "sum_credits"] = value.strip()
        elif tag == "61":
            self.transactions.append(self._line61(value, where))
        elif tag == "86":
            if self.last_tag == "61" and self.transactions:
                self._info86(self.transactions[-1], value)
                tag = "61"  # several :86: (old Rabobank) extend the same line
            else:
                info = self.raw.get("info")
                self.raw["info"] = f"{info}\n{value}" if info else value
        else:
            self.raw.setdefault("other_fields", {})[tag] = value
        self.last_tag = tag

    def _line61(self, value, where):
        first, _sep, supplementary = value.partition("\n")
        match = _LINE61_RE.fullmatch(first.strip())
        if not match:
            raise ParseError(_lt("invalid statement line %(first)r", first=first), where=where)
        value_date = _date(match.group("value"), "%y%m%d", where)
        entry = match.group("entry")
        date = _entry_date(entry, value_date, where) if entry else value_date
        mark = match.group("mark")
        amount = parse_decimal(match.group("amount"), decimal_sep=",", where=where)
        # C and RD (reversal of a debit) bring money in; D and RC take it out.
        if mark in {"D", "RC", "ED"}:
            amount = -amount
        rest = match.group("rest")
        customer_ref, _sep2, bank_part = rest.partition("//")
        bank_ref = bank_part[:16].strip() if bank_part else ""
        extra = bank_part[16:].strip() if bank_part else ""
        if not bank_part and len(customer_ref) > 16:
            customer_ref, extra = customer_ref[:16], customer_ref[16:].strip()
        customer_ref = customer_ref.strip()
        supplementary = " ".join(part.strip() for part in supplementary.split("\n"))
        raw = {"type_code": match.group("type") or ""}
        if mark.startswith("R"):
            raw["reversal"] = True
        if match.group("funds"):
            raw["funds_code"] = match.group("funds")
        if customer_ref:
            raw["customer_ref"] = customer_ref
        if bank_ref:
            raw["bank_ref"] = bank_ref
        if extra:
            raw["extra"] = extra
        supplementary = supplementary.strip()
        if supplementary:
            raw["supplementary"] = supplementary
        transaction = Transaction(
            date=date,
            amount=amount,
            value_date=value_date,
            ref=None if customer_ref.upper() in _NOT_PROVIDED else customer_ref,
            transaction_type=(match.group("type") or "").strip() or None,
            label=extra,
            raw=raw,
        )
        compact = supplementary.replace(" ", "")
        if _IBAN_RE.fullmatch(compact):
            transaction.account_number = compact
        unique = bank_ref if bank_ref.upper() not in _NOT_PROVIDED else None
        if unique:
            other = self.ids.get(unique)
            if other is not None:
                other.unique_import_id = None
                unique = None
            else:
                self.ids[unique] = transaction
        transaction.unique_import_id = unique
        return transaction

    def _info86(self, transaction, value):
        transaction.raw["information"] = (
            transaction.raw["information"] + "\n" + value
            if "information" in transaction.raw
            else value
        )
        text = transaction.raw["information"]
        joined = text.replace("\n", "")
        subfield = _SUBFIELD_RE.match(joined)
        if subfield:
            _map_subfields(transaction, joined, subfield.group(2))
        elif _SEPA_RE.match(joined.lstrip()):
            _map_sepa(transaction, joined.strip())
        else:
            transaction.label = _join_free_text(text)
        if not transaction.label:
            transaction.label = transaction.partner_name or ""

    def result(self):
        account = self.raw.get("account_field")
        currency = self.currency
        if account:
            account = account.replace("\n", "").strip()
            for suffix in (f" {currency}", f"/{currency}", currency):
                if currency and account.endswith(suffix) and len(account) > 3:
                    account = account[: -len(suffix)].strip()
                    break
            if _IBAN_RE.fullmatch(account.replace(" ", "")):
                account = account.replace(" ", "")
        for transaction in self.transactions:
            transaction.currency = currency
        date = self.closing[1] if self.closing else self.date
        if date is None and self.transactions:
            date = max(transaction.date for transaction in self.transactions)
        self.raw["reference"] = self.reference
        return ParsedStatement(
            account_number=account,
            currency=currency,
            name=self.reference,
            date=date,
            balance_start=self.opening[0] if self.opening else None,
            balance_end=self.closing[0] if self.closing else None,
            transactions=self.transactions,
            raw=self.raw,
        )


def _balance(value, where):
    match = _BALANCE_RE.fullmatch(value.replace("\n", "").strip())
    if not match:
        raise ParseError(_lt("invalid balance %(value)r", value=value.strip()), where=where)
    sign, date, currency, amount = match.groups()
    number = parse_decimal(amount, decimal_sep=",", where=where)
    return (-number if sign == "D" else number), _date(date, "%y%m%d", where), currency


def _date(text, fmt, where):
    return parse_date(text, fmt, where=where)


def _entry_date(mmdd, value_date, where):
    """Give the MMDD entry date the year that puts it nearest to the value date."""
    candidates = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidates.append(datetime.date(year, int(mmdd[:2]), int(mmdd[2:])))
        except ValueError:
            continue
    if not candidates:
        raise ParseError(_lt("invalid entry date %(mmdd)r", mmdd=mmdd), where=where)
    return min(candidates, key=lambda day: abs((day - value_date).days))


def _join_free_text(text):
    # SWIFT wraps at 65 characters, often mid-word: a full line continues on
    # the next one without a space; a shorter line ended a phrase.
    joined = ""
    full = False
    room = 61  # the first line follows the 4-character ":86:" tag
    for line in text.split("\n"):
        if joined and not full:
            joined += " "
        joined += line
        full, room = len(line) >= room, 65
    return " ".join(joined.split())


def _map_sepa(transaction, text):
    values = {}
    matches = list(_SEPA_RE.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        value = text[match.end() : end].strip("/").strip()
        values.setdefault(match.group(1), value)
    transaction.raw["fields"] = values
    if values.get("EREF") and values["EREF"].upper() not in _NOT_PROVIDED:
        transaction.ref = values["EREF"]
    counterparty = values.get("CNTP", "")
    if counterparty:
        parts = counterparty.split("/")
        transaction.account_number = parts[0] or transaction.account_number
        if len(parts) > 1 and parts[1]:
            transaction.counterparty_bic = parts[1]
        if len(parts) > 2 and parts[2]:
            transaction.partner_name = parts[2]
    if values.get("NAME"):
        transaction.partner_name = values["NAME"]
    if values.get("IBAN"):
        transaction.account_number = values["IBAN"]
    if values.get("BIC"):
        transaction.counterparty_bic = values["BIC"]
    remittance = values.get("REMI", "")
    for prefix in ("USTD//", "USTD/", "STRD/CUR/", "STRD//"):
        if remittance.startswith(prefix):
            remittance = remittance[len(prefix) :]
            break
    transaction.label = remittance.strip("/").strip()
    if values.get("TRCD"):
        transaction.transaction_type = "/".join(
            filter(None, (transaction.transaction_type, values["TRCD"]))
        )


def _map_subfields(transaction, text, separator):
    code = text[:3] if text[:3].isdigit() else None
    chunks = re.split(rf"\{separator}(\d\d)" if separator == "?" else r">(\d\d)", text)
    values = {}
    for key, value in zip(chunks[1::2], chunks[2::2], strict=False):
        values.setdefault(key, []).append(value)
    transaction.raw["fields"] = {key: "".join(value) for key, value in values.items()}
    remittance = "".join(
        "".join(values.get(f"{number:02d}", []))
        for number in list(range(20, 30)) + list(range(60, 64))
    )
    inner = list(_SEPA_INNER.finditer(remittance))
    if inner:
        parts = {}
        for index, match in enumerate(inner):
            end = inner[index + 1].start() if index + 1 < len(inner) else len(remittance)
            parts.setdefault(match.group(1), remittance[match.end() : end].strip())
        transaction.raw["sepa"] = parts
        if parts.get("EREF") and parts["EREF"].upper() not in _NOT_PROVIDED:
            transaction.ref = parts["EREF"]
        remittance = parts.get("SVWZ") or remittance
    transaction.label = " ".join(remittance.split())
    name = "".join("".join(values.get(key, [])) for key in ("32", "33")).strip()
    if name:
        transaction.partner_name = name
    account = "".join(values.get("31", [])).strip()
    if account:
        transaction.account_number = account
    bank = "".join(values.get("30", [])).strip()
    if bank:
        transaction.counterparty_bic = bank
    posting_text = "".join(values.get("00", [])).strip()
    if posting_text:
        transaction.narration = posting_text
    if code:
        transaction.transaction_type = "/".join(filter(None, (transaction.transaction_type, code)))
