"""The one result shape every statement parser returns.

A parser is called with the file's bytes and returns ``list[ParsedStatement]``
(possibly empty only when the file really holds no statement: most parsers
raise :class:`~.errors.ParseError` instead). Amounts are :class:`~decimal.Decimal`
exactly as written by the bank (never floats); dates are :class:`datetime.date`.

Sign convention: ``Transaction.amount`` is signed from the account holder's
point of view: money in is positive, money out negative (a CAMT ``DBIT`` entry,
an OFX ``DEBIT``, a CSV debit column all become negative).

``unique_import_id`` is built only from what the bank gave (its transaction
reference, entry reference, FITID, ...), never from a row number, so that the
same transaction exported again in a longer file keeps its id. When the
format has no bank id, parsers leave it ``None`` and the import layer builds a
fingerprint (date, amount, label, counterparty, occurrence number).
"""

import dataclasses
import datetime
from decimal import Decimal


@dataclasses.dataclass(slots=True)
class Transaction:
    """One booked movement on the account."""

    date: datetime.date  # booking date
    amount: Decimal  # signed, in the statement currency
    value_date: datetime.date | None = None
    currency: str | None = None  # ISO 4217 of ``amount``, when the file says
    foreign_amount: Decimal | None = None  # original amount, signed like amount
    foreign_currency: str | None = None
    label: str = ""  # what an accountant reads first (remittance / memo / name)
    narration: str = ""  # further free text that did not fit the label
    ref: str | None = None  # end-to-end id, bank reference, check number...
    unique_import_id: str | None = None
    partner_name: str | None = None  # counterparty name
    account_number: str | None = None  # counterparty account (IBAN or other)
    counterparty_bic: str | None = None
    transaction_type: str | None = None  # bank transaction code(s), as text
    raw: dict = dataclasses.field(default_factory=dict)  # JSON-able details

    def to_json(self):
        """Return a JSON-able dict (Decimals as strings, dates ISO)."""
        return _jsonable(dataclasses.asdict(self))


@dataclasses.dataclass(slots=True)
class ParsedStatement:
    """One statement of one account, as written in the file."""

    account_number: str | None = None  # IBAN or other id, as written
    currency: str | None = None  # ISO 4217
    name: str | None = None  # the statement's reference / number
    date: datetime.date | None = None  # statement date (closing date)
    balance_start: Decimal | None = None
    balance_end: Decimal | None = None
    transactions: list[Transaction] = dataclasses.field(default_factory=list)
    bank_bic: str | None = None
    raw: dict = dataclasses.field(default_factory=dict)

    def to_json(self):
        """Return a JSON-able dict (Decimals as strings, dates ISO)."""
        return _jsonable(dataclasses.asdict(self))


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(val) for key, val in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(val) for val in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
