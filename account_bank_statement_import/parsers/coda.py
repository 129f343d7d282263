"""Belgian CODA 2.x statement parser (fixed records of 128 characters).

A CODA file is one or more blocks ``0`` (header) ... ``9`` (trailer); each
block holds one or more statements ``1`` (old balance) ... ``8`` (new balance)
with movements ``2.1``/``2.2``/``2.3``, information records ``3.1``/``3.2``/
``3.3`` and free messages ``4``. Concatenated files (several ``0``...``9``
blocks, as banks and portals deliver them) give several statements.

Mapping to :class:`~.result.ParsedStatement`:

- ``account_number``: from record 1, per its account structure (position 2):
  ``0`` Belgian account number (12 digits; ``raw["iban"]`` holds its IBAN),
  ``1`` foreign account, ``2`` Belgian IBAN, ``3`` foreign IBAN. ``currency``
  from the same field; ``bank_bic`` from the header. Record 8 repeats the
  account; when it differs (seen in real files) ``raw["new_balance_account"]``
  keeps it and record 1 wins.
- ``name``: ``YYYY/NNN``, the year of the new balance date and the paper
  statement number (record 1 positions 3-5; the CODA sequence number of
  positions 126-128 when that is zero), as banks print it and OCA names it.
  ``date`` = new balance date; ``balance_start``/``balance_end`` = old/new
  balance, signed (``1`` = debit = negative).
- Movements: a ``2.1`` record with detail number ``0000`` is one booked
  movement, one :class:`~.result.Transaction`. A globalised movement (a batch
  the bank or the customer totalled, globalisation code > 0) stays ONE
  transaction, as booked on the account; the ``2.1`` records that follow with
  the same sequence number and a detail number > 0 are its details: they are
  informational (their amounts add up to the parent's, they do not move the
  balance), kept in ``raw["details"]`` and summed up in the parent's
  ``narration``. ``2.2``/``2.3`` continue the communication and give the
  counterparty (BIC from 2.2; account, currency and name from 2.3); they must
  carry the sequence/detail numbers of the ``2.1`` they continue. Information
  records (``3.x``) belong to the movement (or detail) they follow; their text
  goes to ``raw["information"]`` and to the narration. Free messages (``4``) go
  to the statement's ``raw["free_messages"]``.
- ``amount``: 15 digits with 3 decimals, sign from the movement sign code
  (``0`` credit, ``1`` debit = negative); ``date`` = entry date (positions
  116-121), ``value_date`` = value date (``000000`` = none).
- ``label``: a Belgian structured communication (types 101/102, 12 digits)
  written ``+++123/4567/89012+++`` (also ``ref``), else the free communication,
  else the counterparty name. Other structured communications (type 1xx:
  card payments, SEPA direct debits...) are kept as written, their type in
  ``raw["communication_type"]``. ``ref``: the structured reference, else the
  SEPA customer reference (2.2), else the bank reference (2.1 positions 11-31).
- ``unique_import_id``: ``<statement name>/<movement sequence number>``, e.g.
  ``2014/036/0001``. The bank numbers statements once per account and year
  and numbers movements within a statement; a re-download of the same
  statement carries the same numbers, whereas a statement is never
  re-numbered. The bank reference (positions 11-31) is not used: some banks
  leave it blank or reuse it for every detail of a batch. Ids are unique within
  one account; the import layer scopes them by journal.
- Checks that do not stop the import (recorded in ``raw["warnings"]``): old
  balance + movements != new balance, trailer record count or totals that do
  not match, continuation flags that announce a record that does not come.

Errors (:class:`~.errors.ParseError`, naming the line and record): a record
that is not 128 characters long, an unknown record type, a record out of
place (a movement before record 1, a 2.2 for another movement, a file that
ends before record 8 or 9), a non-numeric amount, an impossible date, an
unsupported version (only CODA 2 is read).

Options (keyword-only):

``strict_length`` (default ``True``)
    With ``False``, records shorter than 128 characters are padded with
    blanks (some tools strip trailing blanks); longer ones are still refused.
``max_size``
    Byte limit (default :data:`~.common.MAX_FILE_SIZE`).
"""

import datetime
import re
from decimal import Decimal

from .common import MAX_FILE_SIZE, check_size, decode_text, iter_lines, pausing_gc
from .errors import ParseError, _lt
from .result import ParsedStatement, Transaction

FORMAT = "coda"

RECORD_LENGTH = 128
_SNIFF = re.compile(rb"\A(?:\xef\xbb\xbf)?0000\d{7}[ \d]{5}.{111}[12]\r?\n1[0-3]", re.S)


def sniff(data):
    """Return True when ``data`` starts with a CODA header then record 1."""
    return bool(_SNIFF.match(data[:400]))


# --------------------------------------------------------------------------- fields


def _date(text, where, field):
    """Return the date of a ``DDMMYY`` field; ``000000`` or blank gives None."""
    if text in ("000000", "      "):
        return None
    if not text.isdigit():
        raise ParseError(
            _lt("invalid %(field)s %(text)r (expected DDMMYY)", field=field, text=text),
            where,
        )
    day, month, year = int(text[:2]), int(text[2:4]), int(text[4:])
    # CODA 2 dates from 2000 on; version-1 archives from the 1990s still exist.
    year += 1900 if year >= 70 else 2000
    try:
        return datetime.date(year, month, day)
    except ValueError as error:
        raise ParseError(
            _lt("invalid %(field)s %(text)r: %(error)s", field=field, text=text, error=error),
            where,
        ) from None


def _amount(text, sign, where, field):
    """Return a signed Decimal from a 15-digit, 3-decimal field."""
    if not text.isdigit():
        raise ParseError(
            _lt("invalid %(field)s %(text)r (expected 15 digits)", field=field, text=text),
            where,
        )
    if sign not in "01" or len(sign) != 1:
        raise ParseError(
            _lt("invalid sign code %(sign)r for %(field)s", sign=sign, field=field),
            where,
        )
    # Three decimals are written; drop a trailing zero so 500.860 reads 500.86.
    units, thousandths = text[:-3].lstrip("0") or "0", text[-3:]
    if thousandths.endswith("0"):
        thousandths = thousandths[:2]
    value = Decimal(f"{units}.{thousandths}")
    return -value if sign == "1" else value


def _iban_be(bban):
    """Return the Belgian IBAN of a 12-digit account number, else None."""
    if len(bban) != 12 or not bban.isdigit():
        return None
    check = 98 - int(bban + "111400") % 97  # "BE00" -> 1114 00
    return f"BE{check:02d}{bban}"


def _account(field, structure):
    """Return ``(account, currency, extra)`` of a 37-character account field."""
    if structure == "0":
        return field[:12].strip(), field[13:16].strip(), {"country": field[17:19]}
    if structure == "2":
        return field[:16].strip(), field[34:37].strip(), {}
    if structure in "13":
        return field[:34].strip(), field[34:37].strip(), {}
    return None, None, {}


def _structured_ref(digits):
    """Format a 12-digit Belgian structured reference as +++123/4567/89012+++."""
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


# --------------------------------------------------------------------------- state


class _Movement:
    """A 2.1 record and everything that continues it."""

    __slots__ = ("details", "fields", "information", "line", "parts", "record")

    def __init__(self, fields, line):
        self.fields = fields  # dict parsed from 2.1 / 2.2 / 2.3
        self.parts = [fields.pop("communication")]  # communication pieces
        self.details = []  # detail movements (for a main movement)
        self.information = []  # [[text pieces], ...] from 3.1/3.2/3.3
        self.line = line
        self.record = "21"  # last record type read for it


class _Statement:
    """Records 1...8 of one statement while they are read."""

    def __init__(self, header, fields, line):
        self.header = header
        self.fields = fields
        self.line = line
        self.movements = []  # main movements and orphan details, in order
        self.current = None  # the movement 2.x/3.x records continue
        self.free_messages = []
        self.warnings = []
        self.records = 1


class _Parser:
    def __init__(self, strict_length):
        self.strict_length = strict_length
        self.statements = []
        self.header = None
        self.block_statements = []
        self.block_records = 0
        self.statement = None
        self.expect_next = None  # (record type announced, line)

    # ------------------------------------------------------------------ driver
    def run(self, text):
        last = 0
        for number, line in enumerate(iter_lines(text), start=1):
            if not line.strip():
                continue
            last = number
            line = self._fit(line, number)
            kind = line[:2] if line[0] in "23" else line[0]
            handler = self._HANDLERS.get(kind)
            if handler is None:
                raise ParseError(
                    _lt("unknown record type %(record)r", record=line[:2]),
                    _lt("line %(line)s", line=number),
                )
            handler(self, line, _lt("line %(line)s, record %(record)s", line=number, record=kind))
        if self.statement is not None:
            raise ParseError(
                _lt("file ends inside a statement (no new balance record 8): truncated file?"),
                _lt("line %(line)s", line=last),
            )
        if self.header is not None:
            raise ParseError(
                _lt("file ends without trailer record 9: truncated file?"),
                _lt("line %(line)s", line=last),
            )
        if not self.statements:
            raise ParseError(_lt("no statement in CODA file"))
        return self.statements

    def _fit(self, line, number):
        if len(line) > RECORD_LENGTH and not line[RECORD_LENGTH:].strip():
            line = line[:RECORD_LENGTH]
        if len(line) < RECORD_LENGTH and not self.strict_length:
            line = line.ljust(RECORD_LENGTH)
        if len(line) != RECORD_LENGTH:
            raise ParseError(
                _lt(
                    "record of %(length)s characters, CODA records have %(expected)s (truncated "
                    "or not a CODA file)",
                    length=len(line),
                    expected=RECORD_LENGTH,
                ),
                _lt(
                    "line %(line)s, record %(record)s",
                    line=number,
                    record=line[:2].strip() or "?",
                ),
            )
        return line

    # ------------------------------------------------------------------ records
    def _header(self, line, where):
        if self.statement is not None:
            raise ParseError(_lt("header record 0 inside a statement"), where)
        if self.header is not None:
            raise ParseError(_lt("header record 0 before trailer record 9"), where)
        if line[127] != "2":
            raise ParseError(
                _lt(
                    "CODA version %(version)r is not supported (only version 2)",
                    version=line[127],
                ),
                where,
            )
        self.header = {
            "creation_date": _date(line[5:11], where, _lt("creation date")),
            "bank_id": line[11:14],
            "application_code": line[14:16],
            "duplicate": line[16] == "D",
            "file_reference": line[24:34].strip(),
            "addressee": line[34:60].strip(),
            "bic": line[60:71].strip(),
            "holder_id": line[71:82].strip(),
            "transaction_reference": line[88:104].strip(),
            "related_reference": line[104:120].strip(),
            "version": line[127],
        }
        self.block_statements = []
        self.block_records = 0

    def _old_balance(self, line, where):
        if self.header is None:
            raise ParseError(_lt("record 1 before header record 0"), where)
        if self.statement is not None:
            raise ParseError(_lt("record 1 before the previous statement's record 8"), where)
        structure = line[1]
        if structure not in "0123":
            raise ParseError(
                _lt("unknown account structure %(structure)r", structure=structure),
                where,
            )
        account, currency, extra = _account(line[5:42], structure)
        fields = {
            "account_structure": structure,
            "account": account,
            "currency": currency,
            "paper_sequence": line[2:5],
            "coda_sequence": line[125:128],
            "old_balance": _amount(line[43:58], line[42], where, _lt("old balance")),
            "old_balance_date": _date(line[58:64], where, _lt("old balance date")),
            "holder_name": line[64:90].strip(),
            "account_description": line[90:125].strip(),
            **extra,
        }
        self.statement = _Statement(self.header, fields, where)
        self.block_records += 1

    def _movement(self, line, where):
        statement = self._in_statement(where)
        self._announced(line[:2], where)
        sign = line[31]
        comm_type = line[61]
        if comm_type not in "01":
            raise ParseError(
                _lt("invalid communication type %(comm_type)r", comm_type=comm_type),
                where,
            )
        fields = {
            "sequence": line[2:6],
            "detail": line[6:10],
            "bank_reference": line[10:31].strip(),
            "amount": _amount(line[32:47], sign, where, _lt("amount")),
            "value_date": _date(line[47:53], where, _lt("value date")),
            "transaction_code": line[53:61],
            "structured": comm_type == "1",
            "communication": line[62:115],
            "entry_date": _date(line[115:121], where, _lt("entry date")),
            "paper_sequence": line[121:124],
            "globalisation": line[124],
        }
        if not fields["sequence"].isdigit() or not fields["detail"].isdigit():
            raise ParseError(_lt("invalid sequence or detail number"), where)
        if fields["entry_date"] is None:
            raise ParseError(_lt("movement without entry date"), where)
        movement = _Movement(fields, where)
        parent = statement.movements[-1] if statement.movements else None
        if (
            fields["detail"] != "0000"
            and parent is not None
            and parent.fields["sequence"] == fields["sequence"]
        ):
            parent.details.append(movement)
        else:
            if fields["detail"] != "0000":
                fields["orphan_detail"] = True
            statement.movements.append(movement)
        statement.current = movement
        self._expect(line, "22", where, next_code=line[125])
        statement.records += 1
        self.block_records += 1

    def _continuation(self, line, where):
        statement = self._in_statement(where)
        movement = statement.current
        kind = line[:2]
        if movement is None or movement.record not in (("21",) if kind == "22" else ("21", "22")):
            raise ParseError(
                _lt("record %(kind)s without the movement it continues", kind=kind),
                where,
            )
        fields = movement.fields
        if (line[2:6], line[6:10]) != (fields["sequence"], fields["detail"]):
            raise ParseError(
                _lt(
                    "record %(kind)s numbered %(number)s/%(number_detail)s continues movement "
                    "%(sequence)s/%(detail)s",
                    kind=kind,
                    number=line[2:6],
                    number_detail=line[6:10],
                    sequence=fields["sequence"],
                    detail=fields["detail"],
                ),
                where,
            )
        if self.expect_next and self.expect_next[0] == "22":
            self.expect_next = None
        if kind == "22":
            movement.parts.append(line[10:63])
            fields["customer_reference"] = line[63:98].strip()
            fields["counterparty_bic"] = line[98:109].strip()
            fields["r_transaction_type"] = line[112].strip()
            fields["reason_return"] = line[113:117].strip()
            fields["category_purpose"] = line[117:121].strip()
            fields["purpose"] = line[121:125].strip()
            self._expect(line, "22", where, next_code=line[125])
        else:
            fields["counterparty_account"] = line[10:44].strip()
            fields["counterparty_currency"] = line[44:47].strip()
            fields["counterparty_name"] = line[47:82].strip()
            movement.parts.append(line[82:125])
        movement.record = kind
        statement.records += 1
        self.block_records += 1

    def _information(self, line, where):
        statement = self._in_statement(where)
        movement = statement.current
        kind = line[:2]
        if movement is None:
            raise ParseError(
                _lt("information record %(kind)s before any movement", kind=kind),
                where,
            )
        if line[2:6] != movement.fields["sequence"]:
            raise ParseError(
                _lt(
                    "information record %(kind)s numbered %(number)s follows movement "
                    "%(sequence)s",
                    kind=kind,
                    number=line[2:6],
                    sequence=movement.fields["sequence"],
                ),
                where,
            )
        if kind == "31":
            movement.information.append(
                {
                    "bank_reference": line[10:31].strip(),
                    "transaction_code": line[31:39],
                    "structured": line[39] == "1",
                    "parts": [line[40:113]],
                }
            )
        elif not movement.information:
            raise ParseError(_lt("record %(kind)s without its record 31", kind=kind), where)
        elif kind == "32":
            movement.information[-1]["parts"].append(line[10:115])
        else:
            movement.information[-1]["parts"].append(line[10:100])
        statement.records += 1
        self.block_records += 1

    def _free_message(self, line, where):
        statement = self._in_statement(where)
        statement.free_messages.append(line[32:112].strip())

    def _new_balance(self, line, where):
        statement = self._in_statement(where)
        fields = statement.fields
        fields["new_balance"] = _amount(line[42:57], line[41], where, _lt("new balance"))
        fields["new_balance_date"] = _date(line[57:63], where, _lt("new balance date"))
        account, _currency, _extra = _account(line[4:41], fields["account_structure"])
        if account != fields["account"]:
            fields["new_balance_account"] = account
        self.block_records += 1
        result = _build(statement)
        self.statements.append(result)
        self.block_statements.append(result)
        self.statement = None

    def _trailer(self, line, where):
        if self.statement is not None:
            raise ParseError(_lt("trailer record 9 before new balance record 8"), where)
        if self.header is None:
            raise ParseError(_lt("trailer record 9 without header record 0"), where)
        count = line[16:22]
        debit = _amount(line[22:37], "0", where, _lt("debit total"))
        credit = _amount(line[37:52], "0", where, _lt("credit total"))
        moved = [tx.amount for st in self.block_statements for tx in st.transactions]
        warnings = []
        if count.isdigit() and int(count) != self.block_records:
            warnings.append(
                f"trailer counts {int(count)} records, the block has {self.block_records}"
            )
        if debit != -sum((a for a in moved if a < 0), Decimal(0)) or credit != sum(
            (a for a in moved if a > 0), Decimal(0)
        ):
            warnings.append(
                f"trailer totals (debit {debit}, credit {credit}) differ from the movements"
            )
        for statement in self.block_statements:
            statement.raw["trailer"] = {
                "records": count,
                "debit": str(debit),
                "credit": str(credit),
            }
            if warnings:
                statement.raw.setdefault("warnings", []).extend(warnings)
        self.header = None

    _HANDLERS = {
        "0": _header,
        "1": _old_balance,
        "21": _movement,
        "22": _continuation,
        "23": _continuation,
        "31": _information,
        "32": _information,
        "33": _information,
        "4": _free_message,
        "8": _new_balance,
        "9": _trailer,
    }

    # ------------------------------------------------------------------ helpers
    def _in_statement(self, where):
        if self.statement is None:
            raise ParseError(_lt("record outside a statement (no record 1 before)"), where)
        return self.statement

    def _expect(self, line, kind, where, next_code):
        if next_code == "1":
            self.expect_next = (kind, where)

    def _announced(self, kind, where):
        if self.expect_next is not None and self.statement is not None:
            self.statement.warnings.append(
                f"{self.expect_next[1]} announces a record 2.2/2.3 that does not "
                f"follow (record {kind} at {where} does)"
            )
        self.expect_next = None


# --------------------------------------------------------------------------- build


def _communication(movement):
    """Return ``(text, structured_type, structured_ref)`` of a movement."""
    fields = movement.fields
    text = "".join(movement.parts)
    if not fields["structured"]:
        return " ".join(text.split()), None, None
    kind = text[:3]
    rest = text[3:]
    if kind in ("101", "102") and rest[:12].isdigit():
        return " ".join(rest[12:].split()), kind, _structured_ref(rest[:12])
    return " ".join(rest.split()), kind, None


def _information_text(info):
    """Return readable text for an information record (3.1 + 3.2 + 3.3)."""
    text = "".join(info["parts"])
    if info["structured"] and text[:3] == "001":
        # Counterparty name (70) then, from 3.2, street (35), locality (35).
        name = text[3:73].strip()
        address = " ".join(" ".join(text[73:178].split()).split())
        return name, ", ".join(filter(None, (name, address)))
    if info["structured"]:
        return None, " ".join(text[3:].split())
    return None, " ".join(text.split())


def _detail_raw(movement):
    fields = movement.fields
    text, kind, structured = _communication(movement)
    info = [_information_text(item)[1] for item in movement.information]
    return {
        "detail": fields["detail"],
        "amount": str(fields["amount"]),
        "transaction_code": fields["transaction_code"],
        "bank_reference": fields["bank_reference"],
        "communication": structured or text,
        "counterparty_name": fields.get("counterparty_name") or None,
        "counterparty_account": fields.get("counterparty_account") or None,
        "information": info,
    }


def _transaction(movement, name):
    fields = movement.fields
    text, kind, structured = _communication(movement)
    info_names, info_texts, info_raw = [], [], []
    for item in movement.information:
        info_name, info_text = _information_text(item)
        if info_name:
            info_names.append(info_name)
        if info_text:
            info_texts.append(info_text)
        info_raw.append(
            {
                "transaction_code": item["transaction_code"],
                "structured": item["structured"],
                "text": "".join(item["parts"]).rstrip(),
            }
        )
    partner = fields.get("counterparty_name") or (info_names[0] if info_names else None)
    label = structured or text or partner or ""
    narration = []
    if structured and text:
        narration.append(text)
    narration += info_texts
    details = [_detail_raw(detail) for detail in movement.details]
    if details:
        narration.append(f"{len(details)} details:")
        for detail in details:
            narration.append(
                " ".join(
                    filter(
                        None,
                        (
                            detail["amount"],
                            detail["counterparty_name"],
                            detail["communication"],
                        ),
                    )
                )
            )
    code = fields["transaction_code"]
    raw = {
        "sequence": fields["sequence"],
        "detail": fields["detail"],
        "bank_reference": fields["bank_reference"],
        "transaction_code": {
            "type": code[0],
            "family": code[1:3],
            "transaction": code[3:5],
            "category": code[5:8],
        },
        "globalisation": fields["globalisation"],
        "line": movement.line,
    }
    for key in (
        "customer_reference",
        "r_transaction_type",
        "reason_return",
        "category_purpose",
        "purpose",
        "counterparty_currency",
        "orphan_detail",
    ):
        if fields.get(key):
            raw[key] = fields[key]
    if kind:
        raw["communication_type"] = kind
    if info_raw:
        raw["information"] = info_raw
    if details:
        raw["details"] = details
    return Transaction(
        date=fields["entry_date"],
        amount=fields["amount"],
        value_date=fields["value_date"],
        label=label,
        narration="\n".join(narration),
        ref=structured or fields.get("customer_reference") or fields["bank_reference"] or None,
        unique_import_id=f"{name}/{fields['sequence']}",
        partner_name=partner,
        account_number=fields.get("counterparty_account") or None,
        counterparty_bic=fields.get("counterparty_bic") or None,
        transaction_type=code,
        raw=raw,
    )


def _build(statement):
    """Return the :class:`ParsedStatement` of a finished statement."""
    fields = statement.fields
    header = statement.header
    closing_date = fields["new_balance_date"] or header["creation_date"]
    number = fields["paper_sequence"]
    if not number.strip("0 "):
        number = fields["coda_sequence"]
    name = f"{closing_date.year}/{number}" if closing_date else number
    transactions = [_transaction(movement, name) for movement in statement.movements]
    for tx in transactions:
        tx.currency = fields["currency"] or None
    warnings = list(statement.warnings)
    total = sum((tx.amount for tx in transactions), Decimal(0))
    if fields["old_balance"] + total != fields["new_balance"]:
        warnings.append(
            f"old balance {fields['old_balance']} + movements {total} != new "
            f"balance {fields['new_balance']}"
        )
    raw = {
        "header": {
            key: value.isoformat() if isinstance(value, datetime.date) else value
            for key, value in header.items()
        },
        "account_structure": fields["account_structure"],
        "paper_sequence": fields["paper_sequence"],
        "coda_sequence": fields["coda_sequence"],
        "holder_name": fields["holder_name"],
        "account_description": fields["account_description"],
        "old_balance_date": fields["old_balance_date"] and fields["old_balance_date"].isoformat(),
    }
    if fields.get("country"):
        raw["country"] = fields["country"]
    if fields["account_structure"] == "0":
        iban = _iban_be(fields["account"] or "")
        if iban:
            raw["iban"] = iban
    if fields.get("new_balance_account"):
        raw["new_balance_account"] = fields["new_balance_account"]
    if statement.free_messages:
        raw["free_messages"] = statement.free_messages
    if warnings:
        raw["warnings"] = warnings
    return ParsedStatement(
        account_number=fields["account"] or None,
        currency=fields["currency"] or None,
        name=name,
        date=closing_date,
        balance_start=fields["old_balance"],
        balance_end=fields["new_balance"],
        transactions=transactions,
        bank_bic=header["bic"] or None,
        raw=raw,
    )


# --------------------------------------------------------------------------- parse


@pausing_gc
def parse(data, *, strict_length=True, max_size=MAX_FILE_SIZE):
    """Parse CODA ``data`` (bytes) into a list of :class:`ParsedStatement`.

    See the module docstring for the mapping; raises :class:`ParseError`.
    """
    check_size(data, max_size)
    if not data.strip():
        raise ParseError(_lt("empty file"))
    # CODA is written in latin-1/cp1252 by Belgian banks; UTF-8 when valid.
    text = decode_text(data)
    return _Parser(strict_length).run(text)
