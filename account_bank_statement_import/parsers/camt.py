"""ISO 20022 CAMT.053 / .052 / .054 statement parser (versions 001.02 to 001.13).

The three messages share one shape: a ``Document`` holding ``BkToCstmrStmt/Stmt``
(053, statement), ``BkToCstmrAcctRpt/Rpt`` (052, intraday report) or
``BkToCstmrDbtCdtNtfctn/Ntfctn`` (054, notification); each container is one
account's report with balances (``Bal``) and entries (``Ntry``). Every container
becomes one :class:`~.result.ParsedStatement`; a file may hold several, for
several accounts.

The file is streamed with :func:`lxml.etree.iterparse`; every entry is turned
into transactions as soon as it ends and then dropped from the tree, so memory
does not grow with the number of entries beyond the results themselves.

Options (keyword-only):

``split_batches`` (default ``False``)
    A batch booking (one ``Ntry`` with several ``TxDtls``) is kept as ONE
    transaction, as it appears on the bank account. With ``True`` each
    ``TxDtls`` becomes a transaction, its amount taken from ``TxDtls/Amt`` or
    ``AmtDtls`` (in the entry currency); when the details lack amounts or do
    not add up to the entry amount, the entry stays whole (``raw["split_refused"]``
    says why).
``include_pending`` (default ``False``)
    Only booked entries (``Sts`` ``BOOK``, or ``Sts/Cd`` ``BOOK`` from version 8)
    are returned; with ``True`` pending (``PDNG``), information (``INFO``) and
    other entries are returned too, their status in ``raw["status"]``.
``tz`` (default ``None``)
    Dates given as date-times (``DtTm``) with an offset are converted to this
    time zone (a ``tzinfo`` or an IANA name such as ``"Europe/Amsterdam"``)
    before taking the date; by default the date is taken as written.
``max_size``
    Byte limit (default :data:`~.common.MAX_FILE_SIZE`).

Conventions:

- Sign: ``CdtDbtInd`` ``CRDT`` is money in (positive), ``DBIT`` money out.
- Reversals: per the ISO 20022 definition of ``RvslInd``, ``CdtDbtInd`` of a
  reversal entry already gives the direction of the reversal itself: a reversed
  debit (e.g. a returned direct debit) arrives as ``CRDT`` + ``RvslInd`` true and
  is money in; ``DBIT`` + ``RvslInd`` reverses an earlier credit and is money
  out. So the sign follows ``CdtDbtInd`` and the reversal is recorded in
  ``raw["reversal"]``. What changes is the counterparty: the related parties
  describe the ORIGINAL payment, so for a reversal the counterparty side is
  swapped (see below).
- Counterparty: for money in (an original credit) the debtor (``Dbtr``,
  ``DbtrAcct``, ``DbtrAgt``), for money out the creditor; when that side is
  missing or is the statement's own account, the other side is used.
- Label: ``RmtInf/Ustrd`` (joined), else the structured creditor reference
  (``Strd/CdtrRefInf/Ref``), else ``AddtlTxInf``, else ``AddtlNtryInf``; the other
  texts go to ``narration``. ``ref``: ``EndToEndId`` (unless ``NOTPROVIDED``),
  else the creditor reference, else the bank references.
- ``unique_import_id``: the entry's ``AcctSvcrRef``, else its ``NtryRef``; for a
  split batch, the entry reference joined with the ``TxDtls`` references
  (``AcctSvcrRef``, ``TxId``, ``EndToEndId``, ``InstrId``, creditor reference).
  Never a position. When two transactions of one statement would share an id,
  neither keeps it (the import layer then fingerprints them).
- Charges (``Chrgs``), exchange details and every balance are kept in ``raw``;
  the transaction amount is always the booked amount.
- Balances: opening from ``OPBD`` (else ``PRCD``), closing from ``CLBD``; other
  balance types only in ``raw["balances"]``.
"""

import datetime
import io
import re
import typing
from decimal import Decimal
from functools import lru_cache

from lxml import etree

from .common import (
    MAX_FILE_SIZE,
    check_size,
    check_xml_prolog,
    parse_decimal,
    parse_iso_date,
    pausing_gc,
    xml_parser_options,
)
from .errors import ParseError, _lt
from .result import ParsedStatement, Transaction

FORMAT = "camt"

_NS_RE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.05([234])\.001\.(\d\d)")
_SNIFF_RE = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.05[234]\.001\.\d\d")
_SUPPORTED_VERSIONS = range(2, 14)
# message -> (message element, container element)
_CONTAINERS = {
    "3": ("BkToCstmrStmt", "Stmt"),
    "2": ("BkToCstmrAcctRpt", "Rpt"),
    "4": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
_DTTM_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(Z|[+-]\d{2}:\d{2})?"
)
_NOT_PROVIDED = {"NOTPROVIDED", "NONREF", ""}
# The root start tag of the usual layout: nothing but blanks, the UTF-8
# byte-order mark and an XML declaration before it, and the CAMT namespace
# declared as the default one (group 1: that declaration, group 3: the URI).
_DEFAULT_NS_ROOT_RE = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?<Document(?=[\s>])[^>]*?"
    rb"(\sxmlns\s*=\s*([\"'])(urn:iso:std:iso:20022:tech:xsd:camt\.05[234]\.001\.\d\d)\2)"
    rb"[^>]*>"
)


def sniff(data):
    """Return True when the first 4 KB name a CAMT 052/053/054 namespace."""
    return bool(_SNIFF_RE.search(data[:4096]))


@pausing_gc
def parse(
    data,
    *,
    split_batches=False,
    include_pending=False,
    tz=None,
    max_size=MAX_FILE_SIZE,
):
    """Parse a CAMT file into statements (see the module docstring for options)."""
    check_size(data, max_size)
    if not data.strip():
        raise ParseError(_lt("empty file"))
    check_xml_prolog(data)
    if isinstance(tz, str):
        tz = _zone(tz)
    reader = _Reader(split_batches, include_pending, tz)
    try:
        return reader.run(_source(data, reader))
    except etree.XMLSyntaxError as error:
        line = getattr(error, "lineno", None) or getattr(error, "position", (None,))[0]
        raise ParseError(
            _lt("invalid XML: %(error)s", error=error.msg if hasattr(error, "msg") else error),
            where=_lt("line %(line)s", line=line) if line else None,
        ) from None


def _source(data, reader):
    """The file object to parse ``data`` from.

    In the usual layout (the CAMT namespace declared once, as the default
    namespace of the root, and no other namespace declaration anywhere) the
    declaration is read as blanks of the same length: every element is then
    unqualified, and lxml builds a tag such as ``"Ntry"`` instead of
    ``"{urn:iso:...}Ntry"`` each time one is read, which is a tenth of the
    parse time. Positions in error messages do not move. Any other layout
    (prefixed elements, a namespace declared again below the root) is read
    with its namespaces, to the same result; ``reader.ns`` is set from the
    declaration here, and checked against the root as usual.
    """
    head = data[:65536]
    match = _DEFAULT_NS_ROOT_RE.match(head)
    if match is None or data.find(b"xmlns", match.end()) != -1:
        return io.BytesIO(data)
    start, stop = match.span(1)
    reader.declared_ns = match.group(3).decode("ascii")
    head = head[:start] + b" " * (stop - start) + head[stop : match.end()]
    return _Spliced(head, memoryview(data)[match.end() :])


class _Spliced(io.RawIOBase):
    """A read-only file of ``head`` (bytes) followed by ``rest`` (a memoryview
    of the file, not copied)."""

    def __init__(self, head, rest):
        super().__init__()
        self._parts = [memoryview(head), rest]

    def readable(self):
        return True

    def readinto(self, buffer):
        """Fill ``buffer`` from the current part (``read`` is built on this)."""
        while self._parts and not len(self._parts[0]):
            self._parts.pop(0)
        if not self._parts:
            return 0
        part = self._parts[0]
        count = min(len(buffer), len(part))
        buffer[:count] = part[:count]
        self._parts[0] = part[count:]
        return count


def _zone(name):
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ParseError(_lt("unknown time zone %(name)r", name=name)) from error


class _Reader:
    """One parse run: namespace, counters and the statements built so far."""

    def __init__(self, split_batches, include_pending, tz):
        self.split_batches = split_batches
        self.include_pending = include_pending
        self.tz = tz
        self.ns = None  # the CAMT namespace URI
        # The namespace of the elements as lxml reads them: the CAMT one, or
        # "" when the default namespace declaration was blanked (see _source).
        self.tag_ns = None
        self.declared_ns = None  # set by _source when it blanked it
        self.statements = []
        self.shared = {}  # one object per distinct code / currency string
        self.codes = {}  # bank transaction codes already seen
        self.dates = {}  # date text -> date, so equal dates share one object

    # ------------------------------------------------------------------ paths
    def q(self, path):
        """Return ``path`` ("A/B/C") with every step in the document namespace."""
        return _qualify(self.tag_ns, path)

    def text(self, elem, path):
        value = elem.findtext(_qualify(self.tag_ns, path))
        if value is None:
            return None
        value = value.strip()
        return value or None

    # ------------------------------------------------------------------ driver
    def run(self, source):
        # Only "end" events: a container's state is made when its first entry
        # (or the container itself, when it has none) ends.
        context = etree.iterparse(
            source,
            events=("end",),
            tag=("{*}Stmt", "{*}Rpt", "{*}Ntfctn", "{*}Ntry"),
            # Whitespace between elements is layout: not building those text
            # nodes saves time; every value read is stripped anyway.
            remove_blank_text=True,
            **xml_parser_options(),
        )
        state = None
        root_checked = False
        ntry_tag = None
        for _event, elem in context:
            if not root_checked:
                self._check_root(elem.getroottree().getroot())
                root_checked = True
                ntry_tag = _qualify(self.tag_ns, "Ntry")
            tag = elem.tag
            if tag == ntry_tag:
                parent = elem.getparent()
                if state is None or state.elem is not parent:
                    if not self._is_container(parent):
                        continue
                    state = self._container(parent)
                state.entry_count += 1
                if state.header is None:
                    state.header = self._header(state)
                self._entry(state, elem)
                elem.clear(keep_tail=False)
                # Drop the entries already read; keep the current one (lxml
                # must not lose the element it is standing on).
                previous = elem.getprevious()
                while previous is not None and previous.tag == tag:
                    parent.remove(previous)
                    previous = elem.getprevious()
                continue
            local = tag.rpartition("}")[2]
            if local == "Ntry":
                parent = elem.getparent()
                if state is None or state.elem is not parent:
                    if not self._is_container(parent):
                        continue  # not an entry of a statement (an extension's content)
                    # The first entry of its statement: refused like any other.
                    state = self._container(parent)
                raise ParseError(
                    _lt(
                        "entry in the wrong namespace (%(namespace)r, expected %(ns)r)",
                        namespace=tag.rpartition("}")[0][1:],
                        ns=self.ns,
                    ),
                    where=_lt(
                        "element %(path)s",
                        path=f"{state.where}/Ntry[{state.entry_count + 1}]",
                    ),
                )
            if not self._is_container(elem):
                continue
            if state is None or state.elem is not elem:
                state = self._container(elem)
            if state.header is None:
                state.header = self._header(state)
            self.statements.append(self._finish(state))
            state = None
            elem.clear(keep_tail=False)
            previous = elem.getprevious()
            while previous is not None and previous.tag == tag:
                elem.getparent().remove(previous)
                previous = elem.getprevious()
        if not root_checked:
            self._check_root(context.root)
        if not self.statements:
            raise ParseError(
                _lt(
                    "no %(container)s element: the file holds no statement",
                    container=self.container,
                ),
                where=_lt("element %(path)s", path=self.message),
            )
        return self.statements

    def _check_root(self, root):
        if root is None:
            raise ParseError(_lt("not an XML document"))
        tag = root.tag if isinstance(root.tag, str) else ""
        ns = tag[1 : tag.index("}")] if tag.startswith("{") else ""
        tag_ns = ns
        if self.declared_ns and tag == "Document":
            ns = self.declared_ns
            tag = f"{{{ns}}}{tag}"
        match = _NS_RE.fullmatch(ns)
        if not match or tag.rpartition("}")[2] != "Document":
            raise ParseError(
                _lt("not a CAMT 052/053/054 document (root %(root)r)", root=tag or root),
                where=_lt("element %(path)s", path="Document"),
            )
        version = int(match.group(2))
        if version not in _SUPPORTED_VERSIONS:
            raise ParseError(
                _lt(
                    "unsupported CAMT version 001.%(version)02d (supported: 001.02 to 001.13)",
                    version=version,
                ),
                where=_lt("element %(path)s", path="Document"),
            )
        self.ns = ns
        self.tag_ns = tag_ns
        self.kind = "camt.05" + match.group(1)
        self.version = version
        self.message, self.container = _CONTAINERS[match.group(1)]
        self.entry_schema = _entry_schema(tag_ns)

    def _container(self, elem):
        return _Container(elem, len(self.statements) + 1, self.container)

    def _is_container(self, elem):
        if elem is None:
            return False
        parent = elem.getparent()
        return (
            elem.tag == _qualify(self.tag_ns, self.container)
            and parent is not None
            and parent.tag == _qualify(self.tag_ns, self.message)
        )

    # ------------------------------------------------------------------ header
    def _header(self, state):
        """Read the container's children present so far (all precede Ntry)."""
        elem = state.elem
        where = state.where
        header = {
            "name": self.text(elem, "Id"),
            "iban": self.text(elem, "Acct/Id/IBAN"),
            "account": self.text(elem, "Acct/Id/IBAN") or self.text(elem, "Acct/Id/Othr/Id"),
            "currency": self.text(elem, "Acct/Ccy"),
            "bic": self.text(elem, "Acct/Svcr/FinInstnId/BIC")
            or self.text(elem, "Acct/Svcr/FinInstnId/BICFI"),
            "account_name": self.text(elem, "Acct/Nm"),
            "created": self.text(elem, "CreDtTm"),
            "to_date": self.text(elem, "FrToDt/ToDtTm"),
            "from_date": self.text(elem, "FrToDt/FrDtTm"),
            "sequence": self.text(elem, "ElctrncSeqNb") or self.text(elem, "LglSeqNb"),
            "balances": [],
        }
        for index, bal in enumerate(elem.iterchildren(self.q("Bal")), start=1):
            bwhere = f"{where}/Bal[{index}]"
            code = self.text(bal, "Tp/CdOrPrtry/Cd") or self.text(bal, "Tp/CdOrPrtry/Prtry")
            amount_elem = bal.find(self.q("Amt"))
            if amount_elem is None:
                raise ParseError(
                    _lt("balance without amount"),
                    where=_lt("element %(path)s", path=bwhere),
                )
            amount = _signed(
                parse_decimal(
                    amount_elem.text,
                    where=_lt("element %(path)s", path=f"{bwhere}/Amt"),
                ),
                self.text(bal, "CdtDbtInd"),
                f"{bwhere}/CdtDbtInd",
            )
            date_text = self.text(bal, "Dt/Dt")
            if date_text:
                date = parse_iso_date(
                    date_text,
                    where=_lt("element %(path)s", path=f"{bwhere}/Dt/Dt"),
                )
            else:
                date = self._datetime_date(self.text(bal, "Dt/DtTm"), f"{bwhere}/Dt/DtTm")
            header["balances"].append(
                {
                    "type": code,
                    "amount": amount,
                    "currency": amount_elem.get("Ccy"),
                    "date": date,
                }
            )
        if not header["currency"]:
            for bal in header["balances"]:
                if bal["type"] in {"OPBD", "PRCD", "CLBD"} and bal["currency"]:
                    header["currency"] = bal["currency"]
                    break
        return header

    def _finish(self, state):
        header = state.header
        balances = header["balances"]
        by_type = {}
        for bal in balances:
            by_type.setdefault(bal["type"], bal)
        opening = by_type.get("OPBD") or by_type.get("PRCD")
        closing = by_type.get("CLBD")
        date = (
            (closing and closing["date"])
            or self._datetime_date(header["to_date"], f"{state.where}/FrToDt/ToDtTm")
            or self._datetime_date(header["created"], f"{state.where}/CreDtTm")
        )
        raw = {"message": self.kind, "version": f"001.{self.version:02d}"}
        for key in ("account_name", "sequence", "from_date", "to_date", "created"):
            if header[key]:
                raw[key] = header[key]
        raw["balances"] = [
            {**bal, "date": bal["date"].isoformat() if bal["date"] else None} for bal in balances
        ]
        if state.skipped:
            raw["skipped_entries"] = state.skipped
        return ParsedStatement(
            account_number=header["account"],
            currency=header["currency"] or state.entry_currency,
            name=header["name"],
            date=date,
            balance_start=opening["amount"] if opening else None,
            balance_end=closing["amount"] if closing else None,
            transactions=state.transactions,
            bank_bic=header["bic"],
            raw=raw,
        )

    # ------------------------------------------------------------------ entries
    def _entry(self, state, ntry):
        fields = {}
        _walk(ntry, self.entry_schema, fields)
        get = fields.get
        status = get("Sts/Cd") or get("Sts")
        if status and status != "BOOK" and not self.include_pending:
            state.skipped[status] = state.skipped.get(status, 0) + 1
            return
        amount_elem = get("Amt")
        if amount_elem is None:
            raise ParseError(
                _lt("entry without amount"),
                where=_lt("element %(path)s", path=f"{state.entry_where()}/Amt"),
            )
        currency = self._share(amount_elem.get("Ccy"))
        state.entry_currency = state.entry_currency or currency
        indicator = get("CdtDbtInd")
        amount = self._amount(amount_elem.text, indicator, state.entry_where, "Amt")
        reversal = (get("RvslInd") or "").lower() in {"true", "1"}
        date = self._date_choice(get, "BookgDt", state)
        value_date = self._date_choice(get, "ValDt", state)
        if date is None:
            date = value_date
        if date is None:
            raise ParseError(
                _lt("entry without booking date"),
                where=_lt("element %(path)s", path=state.entry_where()),
            )
        servicer_ref = get("AcctSvcrRef")
        entry_ref = get("NtryRef")
        bank_ref = servicer_ref or entry_ref
        raw = {}
        if status and status != "BOOK":
            raw["status"] = status
        if reversal:
            raw["reversal"] = True
        if entry_ref:
            raw["entry_ref"] = entry_ref
        if servicer_ref:
            raw["account_servicer_ref"] = servicer_ref
        code, code_raw = self._bank_code(get)
        if code_raw:
            raw["bank_transaction_code"] = code_raw
        if "Chrgs" in fields:
            charges = self._charges(fields["Chrgs"], state.entry_where())
            if charges:
                raw["charges"] = charges
        entry_info = get("AddtlNtryInf")
        details = get("NtryDtls/TxDtls", ())
        entry = _EntryBase(date, value_date, currency, code, reversal, entry_info, servicer_ref)
        if self.split_batches and len(details) > 1:
            split = self._split(state, details, amount, currency, indicator)
            if isinstance(split, list):
                for index, (tx_amount, tx) in enumerate(split, start=1):
                    tx_raw = dict(raw, batch_index=index, batch_size=len(split))
                    transaction = self._details(state, entry, tx, tx_amount, tx_raw)
                    ids = [bank_ref, *_tx_ids(tx_raw)]
                    tx_unique = None
                    if len(ids) > 1:
                        tx_unique = "/".join(dict.fromkeys(i for i in ids if i))
                    self._add(state, transaction, tx_unique, entry_info, bank_ref)
                return
            raw["split_refused"] = split
        if len(details) == 1:
            transaction = self._details(state, entry, details[0], amount, raw)
        else:
            label = ""
            if details:
                raw["batch"] = self._batch(get, details)
                if not entry_info:
                    count = raw["batch"].get("count") or len(details)
                    label = f"Batch of {count} transactions"
            transaction = Transaction(
                date=date,
                amount=amount,
                value_date=value_date,
                currency=currency,
                label=label,
                transaction_type=code,
                raw=raw,
            )
        self._add(state, transaction, bank_ref, entry_info, bank_ref)

    def _add(self, state, tx, unique, entry_info, bank_ref):
        if entry_info and not tx.label:
            tx.label = entry_info
        if not tx.ref:
            tx.ref = bank_ref
        if unique:
            other = state.ids.get(unique)
            if other is not None:
                # Two transactions with one id: the id is not unique, keep none.
                other.unique_import_id = None
                other.raw["ambiguous_id"] = unique
                tx.raw["ambiguous_id"] = unique
                unique = None
            else:
                state.ids[unique] = tx
        tx.unique_import_id = unique
        state.transactions.append(tx)

    def _amount(self, text, indicator, element_path, path):
        """Signed Decimal of an amount element's text; ``element_path`` is a callable
        (the location is only worded when there is an error)."""
        if text and _PLAIN_AMOUNT(text):
            value = Decimal(text)
        else:
            value = parse_decimal(
                text, where=_lt("element %(path)s", path=f"{element_path()}/{path}")
            )
        if indicator == "CRDT":
            return value
        if indicator == "DBIT":
            return -value
        raise ParseError(
            _lt(
                "credit/debit indicator must be CRDT or DBIT, not %(indicator)r",
                indicator=indicator,
            ),
            where=_lt("element %(path)s", path=f"{element_path()}/CdtDbtInd"),
        )

    def _share(self, value):
        """Return one shared object for equal short codes (currency, bank codes)."""
        if value is None:
            return None
        return self.shared.setdefault(value, value)

    def _split(self, state, details, amount, currency, indicator):
        """Return [(amount, TxDtls)] for a batch, or a reason not to split."""
        parts = []
        for index, tx in enumerate(details, start=1):
            twhere = f"{state.entry_where()}/NtryDtls/TxDtls[{index}]"
            value = None
            for path in _SPLIT_AMOUNT_PATHS:
                elem = tx.get(path)
                if elem is not None and elem.get("Ccy", currency) == currency:
                    value = parse_decimal(
                        elem.text,
                        where=_lt("element %(path)s", path=f"{twhere}/{path}"),
                    )
                    break
            if value is None:
                return f"TxDtls[{index}] has no amount in {currency}"
            tx_indicator = tx.get("CdtDbtInd") or indicator
            parts.append((_signed(value, tx_indicator, f"{twhere}/CdtDbtInd"), tx))
        total = sum((part[0] for part in parts), Decimal(0))
        if total != amount:
            return f"TxDtls amounts add up to {total}, not to the entry's {amount}"
        return parts

    def _details(self, state, entry, tx, amount, raw):
        """The transaction of one TxDtls: counterparty, remittance, references
        and FX, with what is not a typed field added to ``raw``."""
        get = tx.get
        refs = get("Refs")
        if refs:
            refs = {
                # The entry's own reference again: share the entry's string.
                key: entry.servicer_ref if value == entry.servicer_ref else value
                for key, value in refs.items()
                if value and value.upper() not in _NOT_PROVIDED
            }
            if refs:
                raw["refs"] = refs
        else:
            refs = {}
        creditor_refs = get("RmtInf/Strd/CdtrRefInf/Ref")
        creditor_ref = creditor_refs[0] if creditor_refs else None
        if creditor_ref:
            raw["creditor_ref"] = creditor_ref
        ustrd = get("RmtInf/Ustrd")
        texts = []
        for value in (
            (" ".join(ustrd) if len(ustrd) > 1 else ustrd[0]) if ustrd else None,
            get("AddtlTxInf"),
            entry.info,
            creditor_ref,
        ):
            if value and value not in texts:
                texts.append(value)
        label = texts[0] if texts else ""
        return_reason = get("RtrInf/Rsn/Cd") or get("RtrInf/Rsn/Prtry")
        if return_reason:
            raw["return_reason"] = return_reason
        # Money in comes from the debtor, unless this reverses an earlier
        # payment, whose parties are then the other way round.
        money_in = (amount > 0) != entry.reversal
        own = state.header["account"]
        partner = account = bic = None
        for name_paths, acct_paths, bic_paths in _SIDE_PATHS if money_in else _SIDE_PATHS_REVERSED:
            name = _first_of(get, name_paths)
            acct = _first_of(get, acct_paths)
            if acct and own and acct.replace(" ", "") == own.replace(" ", ""):
                acct = None
                name = None
            if name or acct:
                partner, account = name, acct
                bic = _first_of(get, bic_paths)
                break
        if not label and partner:
            label = partner
        currency = entry.currency
        foreign_amount = foreign_currency = None
        for amount_path, exchange_path in _FOREIGN_PATHS:
            elem = get(amount_path)
            if elem is None:
                continue
            ccy = elem.get("Ccy")
            if ccy and currency and ccy != currency:
                value = parse_decimal(
                    elem.text,
                    where=_lt("element %(path)s", path=f"TxDtls/{amount_path}"),
                )
                foreign_amount = -value if amount < 0 else value
                foreign_currency = self._share(ccy)
                exchange = get(exchange_path)
                if exchange is not None:
                    raw["exchange"] = {
                        child.tag.rpartition("}")[2]: (child.text or "").strip()
                        for child in exchange
                        if isinstance(child.tag, str)
                    }
                break
        # Positional, in Transaction's field order (pinned by a test): this
        # runs once per entry and keywords cost more than the call itself.
        return Transaction(
            entry.date,
            amount,
            entry.value_date,
            currency,
            foreign_amount,
            foreign_currency,
            label,
            "\n".join(texts[1:]) if len(texts) > 1 else "",
            (
                refs.get("EndToEndId")
                or creditor_ref
                or refs.get("AcctSvcrRef")
                or refs.get("TxId")
            ),
            None,  # unique_import_id: set by _add
            partner,
            account,
            bic,
            entry.code,
            raw,
        )

    def _batch(self, get, details):
        batch = {}
        for key, path in (
            ("msg_id", "NtryDtls/Btch/MsgId"),
            ("payment_info_id", "NtryDtls/Btch/PmtInfId"),
            ("count", "NtryDtls/Btch/NbOfTxs"),
        ):
            value = get(path)
            if value:
                batch[key] = value
        batch["details"] = len(details)
        return batch

    def _bank_code(self, get):
        """``(transaction_type text, raw dict)`` of the entry's BkTxCd.

        Both are shared by every entry with the same codes: a statement has a
        handful of distinct codes and thousands of entries.
        """
        key = (
            get("BkTxCd/Domn/Cd"),
            get("BkTxCd/Domn/Fmly/Cd"),
            get("BkTxCd/Domn/Fmly/SubFmlyCd"),
            get("BkTxCd/Prtry/Cd"),
            get("BkTxCd/Prtry/Issr"),
        )
        found = self.codes.get(key)
        if found is not None:
            return found
        domain, family, subfamily, proprietary, _issuer = key
        code_raw = {name: value for name, value in zip(_CODE_KEYS, key, strict=True) if value}
        parts = []
        if domain:
            parts.append("-".join(filter(None, (domain, family, subfamily))))
        if proprietary:
            parts.append(proprietary)
        found = self.codes[key] = ((" / ".join(parts) or None), code_raw)
        return found

    def _charges(self, elements, element):
        charges = []
        # Version 2 repeats Chrgs; later versions hold Chrgs/Rcrd records.
        if self.version < 3:
            for index, elem in enumerate(elements, start=1):
                charges.append(self._charge(elem, f"{element}/Chrgs[{index}]"))
        records = [rec for elem in elements for rec in elem.iterchildren(self.q("Rcrd"))]
        for index, elem in enumerate(records, start=1):
            charges.append(self._charge(elem, f"{element}/Chrgs/Rcrd[{index}]"))
        return charges

    def _charge(self, elem, element):
        amount_elem = elem.find(self.q("Amt"))
        if amount_elem is None:
            return {}
        charge = {
            "amount": str(
                parse_decimal(
                    amount_elem.text,
                    where=_lt("element %(path)s", path=element),
                )
            ),
            "currency": amount_elem.get("Ccy"),
        }
        for key, path in (
            ("indicator", "CdtDbtInd"),
            ("included", "ChrgInclInd"),
            ("type", "Tp/Cd"),
        ):
            value = self.text(elem, path)
            if value:
                charge[key] = value
        return charge

    # ------------------------------------------------------------------ dates
    def _date_choice(self, get, name, state):
        value = get(_DATE_PATHS[name])
        if value:
            day = self.dates.get(value)
            if day is None:
                day = parse_iso_date(
                    value, where=_lt("element %(path)s", path=f"{state.entry_where()}/{name}/Dt")
                )
                if len(self.dates) < 20000:
                    self.dates[value] = day
            return day
        return self._datetime_date(get(_DATETIME_PATHS[name]), f"{state.entry_where()}/{name}")

    def _datetime_date(self, value, element):
        if not value:
            return None
        match = _DTTM_RE.fullmatch(value)
        if not match:
            raise ParseError(
                _lt("invalid date-time %(value)r", value=value),
                where=_lt("element %(path)s", path=element),
            )
        day = parse_iso_date(match.group(1), where=_lt("element %(path)s", path=element))
        hour, minute, second = (int(match.group(i)) for i in (2, 3, 4))
        if hour > 23 or minute > 59 or second > 60:
            raise ParseError(
                _lt("invalid date-time %(value)r", value=value),
                where=_lt("element %(path)s", path=element),
            )
        offset = match.group(5)
        if self.tz is None or not offset:
            return day
        if offset == "Z":
            zone = datetime.timezone.utc
        else:
            sign = -1 if offset[0] == "-" else 1
            zone = datetime.timezone(
                sign * datetime.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:]))
            )
        moment = datetime.datetime.combine(day, datetime.time(hour, minute, min(second, 59)), zone)
        return moment.astimezone(self.tz).date()


class _EntryBase(typing.NamedTuple):
    """What every transaction of one entry shares."""

    date: datetime.date
    value_date: datetime.date | None
    currency: str | None
    code: str | None
    reversal: bool
    info: str | None  # AddtlNtryInf
    servicer_ref: str | None


def _tx_ids(raw):
    """The TxDtls references that identify one part of a split batch."""
    refs = raw.get("refs", {})
    ids = (
        refs.get("AcctSvcrRef"),
        refs.get("TxId"),
        refs.get("EndToEndId"),
        refs.get("InstrId"),
        raw.get("creditor_ref"),
    )
    return [value for value in ids if value]


class _Container:
    """Parse state of one Stmt / Rpt / Ntfctn element."""

    def __init__(self, elem, index, local):
        self.elem = elem
        self.where = f"{local}[{index}]"
        self.header = None
        self.entry_count = 0
        self.entry_currency = None
        self.transactions = []
        self.ids = {}
        self.skipped = {}

    def entry_where(self):
        """Location of the current entry, for messages."""
        return f"{self.where}/Ntry[{self.entry_count}]"


# Kinds of schema nodes for _walk.
_TEXT, _TEXTS, _ELEM, _ELEMS, _SCOPE, _DICT, _PASS = range(7)


def _walk(elem, schema, out):
    """Collect what ``schema`` asks for below ``elem`` into the flat dict ``out``.

    ``schema`` maps a qualified child tag to ``(kind, key, sub_schema)``: a
    text (first one wins, stripped, empty as None), a list of non-empty texts,
    the element itself, a list of elements, or a scope (a TxDtls: a new dict
    appended to ``out[key]``) or a dict (the texts below go to the one dict
    ``out[key]``, keyed by their own paths). ``sub_schema`` says what to look
    for inside.
    Children the schema does not name are skipped with everything below them.
    One walk per entry replaces one ElementPath search per field, which was
    most of the parse time.
    """
    for child in elem[:]:  # slicing builds the children in C: faster than iter
        node = schema.get(child.tag)
        if node is None:
            continue
        kind, key, sub = node
        if kind == _TEXT:
            if key not in out:
                text = child.text
                out[key] = (text.strip() or None) if text else None
        elif kind == _TEXTS:
            text = child.text
            if text:
                text = text.strip()
                if text:
                    out.setdefault(key, []).append(text)
        elif kind == _ELEM:
            if key not in out:
                out[key] = child
        elif kind == _ELEMS:
            out.setdefault(key, []).append(child)
        elif kind == _SCOPE:
            inner = {}
            out.setdefault(key, []).append(inner)
            _walk(child, sub, inner)
            continue
        elif kind == _DICT:
            inner = out.get(key)
            if inner is None:
                inner = out[key] = {}
            _walk(child, sub, inner)
            continue
        if sub is not None:
            _walk(child, sub, out)


_TXDTLS_SPEC = {
    "Amt": _ELEM,
    "CdtDbtInd": _TEXT,
    "AddtlTxInf": _TEXT,
    "RmtInf/Ustrd": _TEXTS,
    "RmtInf/Strd/CdtrRefInf/Ref": _TEXTS,
    "RtrInf/Rsn/Cd": _TEXT,
    "RtrInf/Rsn/Prtry": _TEXT,
}
_REF_PATHS = tuple(
    (key, f"Refs/{key}")
    for key in (
        "AcctSvcrRef",
        "PmtInfId",
        "InstrId",
        "EndToEndId",
        "UETR",
        "TxId",
        "MndtId",
        "ChqNb",
    )
)
_TXDTLS_SPEC["Refs"] = (_DICT, {key: _TEXT for key, _path in _REF_PATHS})
# (amount, exchange details) where a TxDtls may give the original amount.
_FOREIGN_PATHS = tuple(
    (f"AmtDtls/{kind}/Amt", f"AmtDtls/{kind}/CcyXchg")
    for kind in ("InstdAmt", "TxAmt", "CntrValAmt")
)
_TXDTLS_SPEC.update((path, _ELEM) for pair in _FOREIGN_PATHS for path in pair)
_SPLIT_AMOUNT_PATHS = (
    "Amt",
    "AmtDtls/TxAmt/Amt",
    "AmtDtls/CntrValAmt/Amt",
    "AmtDtls/InstdAmt/Amt",
)
# (name paths, account paths, agent BIC paths) of the debtor, then the creditor.
_SIDE_PATHS = tuple(
    (
        (
            f"RltdPties/{side}/Nm",
            f"RltdPties/{side}/Pty/Nm",
            f"RltdPties/Ultmt{side}/Nm",
            f"RltdPties/Ultmt{side}/Pty/Nm",
        ),
        (f"RltdPties/{side}Acct/Id/IBAN", f"RltdPties/{side}Acct/Id/Othr/Id"),
        (
            f"RltdAgts/{side}Agt/FinInstnId/BIC",
            f"RltdAgts/{side}Agt/FinInstnId/BICFI",
        ),
    )
    for side in ("Dbtr", "Cdtr")
)
_SIDE_PATHS_REVERSED = _SIDE_PATHS[::-1]
for _paths in _SIDE_PATHS:
    _TXDTLS_SPEC.update((path, _TEXT) for group in _paths for path in group)

_DATE_PATHS = {"BookgDt": "BookgDt/Dt", "ValDt": "ValDt/Dt"}
_DATETIME_PATHS = {"BookgDt": "BookgDt/DtTm", "ValDt": "ValDt/DtTm"}
_CODE_KEYS = ("domain", "family", "subfamily", "proprietary", "issuer")
_ENTRY_SPEC = {
    "Sts": _TEXT,
    "Sts/Cd": _TEXT,
    "Amt": _ELEM,
    "CdtDbtInd": _TEXT,
    "RvslInd": _TEXT,
    "BookgDt/Dt": _TEXT,
    "BookgDt/DtTm": _TEXT,
    "ValDt/Dt": _TEXT,
    "ValDt/DtTm": _TEXT,
    "AcctSvcrRef": _TEXT,
    "NtryRef": _TEXT,
    "BkTxCd/Domn/Cd": _TEXT,
    "BkTxCd/Domn/Fmly/Cd": _TEXT,
    "BkTxCd/Domn/Fmly/SubFmlyCd": _TEXT,
    "BkTxCd/Prtry/Cd": _TEXT,
    "BkTxCd/Prtry/Issr": _TEXT,
    "Chrgs": _ELEMS,
    "AddtlNtryInf": _TEXT,
    "NtryDtls/Btch/MsgId": _TEXT,
    "NtryDtls/Btch/PmtInfId": _TEXT,
    "NtryDtls/Btch/NbOfTxs": _TEXT,
    "NtryDtls/TxDtls": (_SCOPE, _TXDTLS_SPEC),
}


@lru_cache(maxsize=32)
def _entry_schema(ns):
    """The :func:`_walk` schema of an ``Ntry`` in namespace ``ns``."""
    return _schema(ns, _ENTRY_SPEC)


def _schema(ns, spec):
    """Turn ``{"A/B/C": kind}`` into the nested, namespace-qualified schema."""
    tree = {}
    for path, kind in spec.items():
        sub = None
        if isinstance(kind, tuple):
            kind, sub = kind[0], _schema(ns, kind[1])
        *parents, last = path.split("/")
        level = tree
        for step in parents:
            node = level.setdefault(step, [_PASS, None, {}])
            if node[2] is None:
                node[2] = {}
            level = node[2]
        node = level.setdefault(last, [_PASS, None, None])
        node[0], node[1] = kind, path
        if sub is not None:
            node[2] = sub
    return _freeze(ns, tree)


def _freeze(ns, tree):
    frozen = {}
    for local, (kind, key, sub) in tree.items():
        if sub is not None and kind not in (_SCOPE, _DICT):
            sub = _freeze(ns, sub)
        frozen[_qualify(ns, local)] = (kind, key, sub)
    return frozen


def _first_of(get, paths):
    for path in paths:
        value = get(path)
        if value:
            return value
    return None


_PLAIN_AMOUNT = re.compile(r"\d+(?:\.\d+)?").fullmatch


@lru_cache(maxsize=512)
def _qualify(ns, path):
    """``path`` ("A/B") with every step in namespace ``ns`` (none when "")."""
    if not ns:
        return path
    return "/".join(f"{{{ns}}}{step}" for step in path.split("/"))


def _signed(amount, indicator, element):
    if indicator == "CRDT":
        return amount
    if indicator == "DBIT":
        return -amount
    raise ParseError(
        _lt("credit/debit indicator must be CRDT or DBIT, not %(indicator)r", indicator=indicator),
        where=_lt("element %(path)s", path=element),
    )
