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
from decimal import Decimal
from functools import lru_cache

from lxml import etree

from .common import (
    MAX_FILE_SIZE,
    check_size,
    check_xml_prolog,
    parse_decimal,
    parse_iso_date,
    xml_parser_options,
)
from .errors import ParseError
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


def sniff(data):
    """Return True when the first 4 KB name a CAMT 052/053/054 namespace."""
    return bool(_SNIFF_RE.search(data[:4096]))


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
        raise ParseError("empty file")
    check_xml_prolog(data)
    if isinstance(tz, str):
        tz = _zone(tz)
    reader = _Reader(split_batches, include_pending, tz)
    try:
        return reader.run(data)
    except etree.XMLSyntaxError as error:
        line = getattr(error, "lineno", None) or getattr(error, "position", (None,))[0]
        raise ParseError(
            f"invalid XML: {error.msg if hasattr(error, 'msg') else error}",
            where=f"line {line}" if line else None,
        ) from None


def _zone(name):
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ParseError(f"unknown time zone {name!r}") from error


class _Reader:
    """One parse run: namespace, counters and the statements built so far."""

    def __init__(self, split_batches, include_pending, tz):
        self.split_batches = split_batches
        self.include_pending = include_pending
        self.tz = tz
        self.ns = None
        self.statements = []

    # ------------------------------------------------------------------ paths
    def q(self, path):
        """Return ``path`` ("A/B/C") with every step in the document namespace."""
        return _qualify(self.ns, path)

    def text(self, elem, path):
        value = elem.findtext(_qualify(self.ns, path))
        if value is None:
            return None
        value = value.strip()
        return value or None

    # ------------------------------------------------------------------ driver
    def run(self, data):
        context = etree.iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            tag=("{*}Stmt", "{*}Rpt", "{*}Ntfctn", "{*}Ntry"),
            **xml_parser_options(),
        )
        state = None
        root_checked = False
        for event, elem in context:
            if not root_checked:
                self._check_root(elem.getroottree().getroot())
                root_checked = True
            tag = elem.tag
            local = tag[tag.index("}") + 1 :]
            if local == "Ntry":
                if state is None or event == "start":
                    continue
                state.entry_count += 1
                if state.header is None:
                    state.header = self._header(state)
                self._entry(state, elem)
                elem.clear(keep_tail=False)
                # Drop the entries already read; keep the current one (lxml
                # must not lose the element it is standing on).
                previous = elem.getprevious()
                while previous is not None and previous.tag == tag:
                    parent = elem.getparent()
                    parent.remove(previous)
                    previous = elem.getprevious()
                continue
            if not self._is_container(elem):
                continue
            if event == "start":
                state = _Container(elem, len(self.statements) + 1, local)
                continue
            if state is None or state.elem is not elem:  # pragma: no cover
                continue
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
                f"no {self.container} element: the file holds no statement",
                where=f"element {self.message}",
            )
        return self.statements

    def _check_root(self, root):
        if root is None:
            raise ParseError("not an XML document")
        tag = root.tag if isinstance(root.tag, str) else ""
        ns = tag[1 : tag.index("}")] if tag.startswith("{") else ""
        match = _NS_RE.fullmatch(ns)
        if not match or tag.rpartition("}")[2] != "Document":
            raise ParseError(
                f"not a CAMT 052/053/054 document (root {tag or root!r})",
                where="element Document",
            )
        version = int(match.group(2))
        if version not in _SUPPORTED_VERSIONS:
            raise ParseError(
                f"unsupported CAMT version 001.{version:02d} (supported: 001.02 to 001.13)",
                where="element Document",
            )
        self.ns = ns
        self.kind = "camt.05" + match.group(1)
        self.version = version
        self.message, self.container = _CONTAINERS[match.group(1)]

    def _is_container(self, elem):
        parent = elem.getparent()
        return (
            elem.tag == f"{{{self.ns}}}{self.container}"
            and parent is not None
            and parent.tag == f"{{{self.ns}}}{self.message}"
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
                raise ParseError("balance without amount", where=f"element {bwhere}")
            amount = _signed(
                parse_decimal(amount_elem.text, where=f"element {bwhere}/Amt"),
                self.text(bal, "CdtDbtInd"),
                f"{bwhere}/CdtDbtInd",
            )
            date_text = self.text(bal, "Dt/Dt")
            if date_text:
                date = parse_iso_date(date_text, where=f"element {bwhere}/Dt/Dt")
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
        where = f"{state.where}/Ntry[{state.entry_count}]"
        idx = _index(ntry)
        status = _text(idx, "Sts/Cd") or _text(idx, "Sts")
        if status and status != "BOOK" and not self.include_pending:
            state.skipped[status] = state.skipped.get(status, 0) + 1
            return
        amount_elem = _first(idx, "Amt")
        if amount_elem is None:
            raise ParseError("entry without amount", where=f"element {where}/Amt")
        currency = amount_elem.get("Ccy")
        state.entry_currency = state.entry_currency or currency
        indicator = _text(idx, "CdtDbtInd")
        amount = _signed(
            parse_decimal(amount_elem.text, where=f"element {where}/Amt"),
            indicator,
            f"{where}/CdtDbtInd",
        )
        reversal = (_text(idx, "RvslInd") or "").lower() in {"true", "1"}
        date = self._date_choice(idx, "BookgDt", where)
        value_date = self._date_choice(idx, "ValDt", where)
        if date is None:
            date = value_date
        if date is None:
            raise ParseError("entry without booking date", where=f"element {where}")
        entry_ref = _text(idx, "AcctSvcrRef") or _text(idx, "NtryRef")
        raw = {}
        if status and status != "BOOK":
            raw["status"] = status
        if reversal:
            raw["reversal"] = True
        for key, path in (
            ("entry_ref", "NtryRef"),
            ("account_servicer_ref", "AcctSvcrRef"),
        ):
            value = _text(idx, path)
            if value:
                raw[key] = value
        code, code_raw = self._bank_code(idx)
        if code_raw:
            raw["bank_transaction_code"] = code_raw
        charges = self._charges(idx, where)
        if charges:
            raw["charges"] = charges
        entry_info = _text(idx, "AddtlNtryInf")
        details = idx.get("NtryDtls/TxDtls", [])
        base = {
            "date": date,
            "value_date": value_date,
            "currency": currency,
            "transaction_type": code,
        }
        if self.split_batches and len(details) > 1:
            split = self._split(state, details, amount, currency, indicator, where)
            if isinstance(split, list):
                for index, (tx_amount, tx) in enumerate(split, start=1):
                    info = self._details(state, tx, tx_amount, currency, reversal, entry_info)
                    tx_raw = dict(raw, batch_index=index, batch_size=len(split))
                    tx_raw.update(info.pop("raw"))
                    ids = [entry_ref, *info.pop("tx_ids")]
                    unique = None
                    if len(ids) > 1:
                        unique = "/".join(dict.fromkeys(i for i in ids if i))
                    self._add(
                        state,
                        Transaction(amount=tx_amount, **base, **info, raw=tx_raw),
                        unique,
                        entry_info,
                    )
                return
            raw["split_refused"] = split
        if len(details) == 1:
            info = self._details(state, details[0], amount, currency, reversal, entry_info)
            info.pop("tx_ids")
            raw.update(info.pop("raw"))
        else:
            info = {"label": "", "narration": "", "ref": None}
            if details:
                raw["batch"] = self._batch(idx, details)
                if not entry_info:
                    count = raw["batch"].get("count") or len(details)
                    info["label"] = f"Batch of {count} transactions"
        self._add(
            state,
            Transaction(amount=amount, **base, **info, raw=raw),
            entry_ref,
            entry_info,
        )

    def _add(self, state, tx, unique, entry_info):
        if entry_info and not tx.label:
            tx.label = entry_info
        if not tx.ref:
            tx.ref = tx.raw.get("account_servicer_ref") or tx.raw.get("entry_ref")
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

    def _split(self, state, details, amount, currency, indicator, where):
        """Return [(amount, TxDtls)] for a batch, or a reason not to split."""
        parts = []
        for index, tx in enumerate(details, start=1):
            twhere = f"{where}/NtryDtls/TxDtls[{index}]"
            value = None
            for path in (
                "Amt",
                "AmtDtls/TxAmt/Amt",
                "AmtDtls/CntrValAmt/Amt",
                "AmtDtls/InstdAmt/Amt",
            ):
                elem = _first(tx, path)
                if elem is not None and elem.get("Ccy", currency) == currency:
                    value = parse_decimal(elem.text, where=f"element {twhere}/{path}")
                    break
            if value is None:
                return f"TxDtls[{index}] has no amount in {currency}"
            tx_indicator = _text(tx, "CdtDbtInd") or indicator
            parts.append((_signed(value, tx_indicator, f"{twhere}/CdtDbtInd"), tx))
        total = sum((part[0] for part in parts), Decimal(0))
        if total != amount:
            return f"TxDtls amounts add up to {total}, not to the entry's {amount}"
        return parts

    def _details(self, state, tx, amount, currency, reversal, entry_info):
        """Counterparty, remittance, references and FX of one TxDtls."""

        def text(path):
            return _text(tx, path)

        raw = {}
        refs = {}
        for key in (
            "AcctSvcrRef",
            "PmtInfId",
            "InstrId",
            "EndToEndId",
            "UETR",
            "TxId",
            "MndtId",
            "ChqNb",
        ):
            value = text(f"Refs/{key}")
            if value and value.upper() not in _NOT_PROVIDED:
                refs[key] = value
        if refs:
            raw["refs"] = refs
        ustrd = [
            elem.text.strip()
            for elem in tx.get("RmtInf/Ustrd", ())
            if elem.text and elem.text.strip()
        ]
        creditor_refs = [
            elem.text.strip()
            for elem in tx.get("RmtInf/Strd/CdtrRefInf/Ref", ())
            if elem.text and elem.text.strip()
        ]
        if creditor_refs:
            raw["creditor_ref"] = creditor_refs[0]
        additional = text("AddtlTxInf")
        texts = [" ".join(ustrd), additional, entry_info, *creditor_refs[:1]]
        texts = list(dict.fromkeys(value for value in texts if value))
        label = texts[0] if texts else ""
        narration = texts[1:]
        return_reason = text("RtrInf/Rsn/Cd") or text("RtrInf/Rsn/Prtry")
        if return_reason:
            raw["return_reason"] = return_reason
        # Money in comes from the debtor, unless this reverses an earlier
        # payment, whose parties are then the other way round.
        money_in = (amount > 0) != reversal
        sides = ("Dbtr", "Cdtr") if money_in else ("Cdtr", "Dbtr")
        own = state.header["account"]
        partner = account = bic = None
        for side in sides:
            name = (
                text(f"RltdPties/{side}/Nm")
                or text(f"RltdPties/{side}/Pty/Nm")
                or text(f"RltdPties/Ultmt{side}/Nm")
                or text(f"RltdPties/Ultmt{side}/Pty/Nm")
            )
            acct = text(f"RltdPties/{side}Acct/Id/IBAN") or text(
                f"RltdPties/{side}Acct/Id/Othr/Id"
            )
            if acct and own and acct.replace(" ", "") == own.replace(" ", ""):
                acct = None
                name = None
            if name or acct:
                partner, account = name, acct
                bic = text(f"RltdAgts/{side}Agt/FinInstnId/BIC") or text(
                    f"RltdAgts/{side}Agt/FinInstnId/BICFI"
                )
                break
        if not label and partner:
            label = partner
        ref = (
            refs.get("EndToEndId")
            or (creditor_refs[0] if creditor_refs else None)
            or refs.get("AcctSvcrRef")
            or refs.get("TxId")
        )
        foreign_amount = foreign_currency = None
        for path in ("AmtDtls/InstdAmt", "AmtDtls/TxAmt", "AmtDtls/CntrValAmt"):
            elem = _first(tx, path + "/Amt")
            if elem is None:
                continue
            ccy = elem.get("Ccy")
            if ccy and currency and ccy != currency:
                value = parse_decimal(elem.text, where=f"element TxDtls/{path}/Amt")
                foreign_amount = -value if amount < 0 else value
                foreign_currency = ccy
                exchange = _first(tx, path + "/CcyXchg")
                if exchange is not None:
                    raw["exchange"] = {
                        child.tag.rpartition("}")[2]: (child.text or "").strip()
                        for child in exchange
                    }
                break
        tx_ids = [
            value
            for value in (
                refs.get("AcctSvcrRef"),
                refs.get("TxId"),
                refs.get("EndToEndId"),
                refs.get("InstrId"),
                creditor_refs[0] if creditor_refs else None,
            )
            if value
        ]
        return {
            "label": label,
            "narration": "\n".join(narration),
            "ref": ref,
            "partner_name": partner,
            "account_number": account,
            "counterparty_bic": bic,
            "foreign_amount": foreign_amount,
            "foreign_currency": foreign_currency,
            "raw": raw,
            "tx_ids": tx_ids,
        }

    def _batch(self, ntry, details):
        batch = {}
        for key, path in (
            ("msg_id", "NtryDtls/Btch/MsgId"),
            ("payment_info_id", "NtryDtls/Btch/PmtInfId"),
            ("count", "NtryDtls/Btch/NbOfTxs"),
        ):
            value = _text(ntry, path)
            if value:
                batch[key] = value
        batch["details"] = len(details)
        return batch

    def _bank_code(self, ntry):
        domain = _text(ntry, "BkTxCd/Domn/Cd")
        family = _text(ntry, "BkTxCd/Domn/Fmly/Cd")
        subfamily = _text(ntry, "BkTxCd/Domn/Fmly/SubFmlyCd")
        proprietary = _text(ntry, "BkTxCd/Prtry/Cd")
        issuer = _text(ntry, "BkTxCd/Prtry/Issr")
        code_raw = {
            key: value
            for key, value in (
                ("domain", domain),
                ("family", family),
                ("subfamily", subfamily),
                ("proprietary", proprietary),
                ("issuer", issuer),
            )
            if value
        }
        parts = []
        if domain:
            parts.append("-".join(filter(None, (domain, family, subfamily))))
        if proprietary:
            parts.append(proprietary)
        return (" / ".join(parts) or None), code_raw

    def _charges(self, ntry, where):
        charges = []
        # Version 2 repeats Chrgs; later versions hold Chrgs/Rcrd records.
        for index, elem in enumerate(ntry.get("Chrgs", ()) if self.version < 3 else (), start=1):
            charges.append(self._charge(elem, f"{where}/Chrgs[{index}]"))
        for index, elem in enumerate(ntry.get("Chrgs/Rcrd", ()), start=1):
            charges.append(self._charge(elem, f"{where}/Chrgs/Rcrd[{index}]"))
        return charges

    def _charge(self, elem, where):
        amount_elem = elem.find(self.q("Amt"))
        if amount_elem is None:
            return {}
        charge = {
            "amount": str(parse_decimal(amount_elem.text, where=f"element {where}")),
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
    def _date_choice(self, index, name, where):
        value = _text(index, f"{name}/Dt")
        if value:
            return parse_iso_date(value, where=f"element {where}/{name}/Dt")
        return self._datetime_date(_text(index, f"{name}/DtTm"), f"{where}/{name}")

    def _datetime_date(self, value, where):
        if not value:
            return None
        match = _DTTM_RE.fullmatch(value)
        if not match:
            raise ParseError(f"invalid date-time {value!r}", where=f"element {where}")
        day = parse_iso_date(match.group(1), where=f"element {where}")
        hour, minute, second = (int(match.group(i)) for i in (2, 3, 4))
        if hour > 23 or minute > 59 or second > 60:
            raise ParseError(f"invalid date-time {value!r}", where=f"element {where}")
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


def _index(root, split="NtryDtls/TxDtls"):
    """Map the path ("A/B/C", no namespace) of every element below ``root`` to
    the elements found there, in document order.

    Each element at ``split`` (a TxDtls of an entry) is replaced by its own
    index, relative to it, so that several TxDtls never mix. One walk per
    entry instead of one ElementPath search per field: those searches were
    most of the parse time.
    """
    index = {}
    places = {root: ("", index)}
    for elem in root.iterdescendants(etree.Element):
        parent_path, target = places[elem.getparent()]
        local = elem.tag.rpartition("}")[2]
        path = f"{parent_path}/{local}" if parent_path else local
        if path == split and target is index:
            sub_index = {}
            index.setdefault(path, []).append(sub_index)
            places[elem] = ("", sub_index)
            continue
        places[elem] = (path, target)
        found = target.get(path)
        if found is None:
            target[path] = [elem]
        else:
            found.append(elem)
    return index


def _first(index, path):
    found = index.get(path)
    return found[0] if found else None


def _text(index, path):
    found = index.get(path)
    if not found:
        return None
    value = found[0].text
    if value is None:
        return None
    return value.strip() or None


@lru_cache(maxsize=512)
def _qualify(ns, path):
    return "/".join(f"{{{ns}}}{step}" for step in path.split("/"))


def _signed(amount, indicator, where):
    if indicator == "CRDT":
        return amount
    if indicator == "DBIT":
        return -amount
    raise ParseError(
        f"credit/debit indicator must be CRDT or DBIT, not {indicator!r}",
        where=f"element {where}",
    )
