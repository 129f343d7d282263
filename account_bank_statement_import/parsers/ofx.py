"""OFX statement parser: OFX 1.x (SGML) and 2.x (XML), bank and credit card.

Every ``STMTRS`` (bank) and ``CCSTMTRS`` (credit card) aggregate becomes one
:class:`~.result.ParsedStatement`, so a file with several accounts gives several
statements (empty ones included: an account without movements still has a
balance). Investment statements (``INVSTMTRS``) are not bank statements and are
ignored; a file holding nothing else is refused.

Why not ofxparse (the library OCA's addon uses)? Measured on this machine with
``bench/gen_statements.py`` files (one statement, N transactions;
``tests/bench_parser_ofx.py`` prints these figures):

====================  ==========  ===========  =============================
parser                N=1,000     N=10,000     OFX 2 XML with non-ASCII names
====================  ==========  ===========  =============================
ofxparse 0.21         0.72-0.92 s 24.7-30.8 s  UnicodeDecodeError (fails)
this module, SGML     0.06 s      0.8-1.0 s    -
this module, XML      0.06 s      0.8 s        parsed
====================  ==========  ===========  =============================

(CPU seconds, median of 3, 2-core machine shared with other jobs. 50,000
SGML transactions take 4.2 s, 3.1 s with the garbage collector off, against
0.9 s and 0.6 s for 10,000: linear.)

ofxparse's time grows quadratically with the number of transactions (as
measured above), it only honours the SGML header's charset, and it exposes no
counterparty account (``BANKACCTTO``). OFX is simple enough that a
small tokenizer is both faster and more tolerant, so we parse ourselves:

- XML files (``<?OFX ...?>`` or an XML declaration) go through lxml with the
  safe options of :mod:`.common` (no entities, no network, no DTD). Files that
  declare XML but are not well-formed (real banks send OFX 2 headers on SGML
  bodies with unclosed leaf tags) fall back to the SGML tokenizer.
- SGML files (``OFXHEADER:100``) and header-less files go through the
  tokenizer below: leaf elements may lack their end tag; an element that holds
  text is a leaf and ends at the next tag; an aggregate ends at its end tag,
  which also ends every element still open inside it (an aggregate the
  mapping knows, such as ``STMTTRN``, is also ended by the next start tag of the
  same name, so missing ``</STMTTRN>`` are tolerated). Any other element ended
  that way without text was an empty leaf (``<NAME><MEMO>x``), so anything the
  tokenizer had nested inside it is moved back up to its parent. Stray end
  tags are ignored. A file that ends inside an aggregate other than ``<OFX>``
  is truncated and refused. SGML entities (``&amp;``, ``&lt;``, numeric) are
  decoded; an unknown ``&word;`` or a bare ``&`` (``AT&T``) is kept as written.

Encoding: the bytes are read as UTF-8 when they are valid UTF-8 (ASCII
included), whatever the header says, because banks routinely declare
``CHARSET:1252`` or ``ENCODING:USASCII`` and write UTF-8; otherwise the
declared charset (``CHARSET:1252`` -> cp1252, ``8859-1`` -> latin-1), then
cp1252/latin-1 (:func:`.common.decode_text`). ``raw["encoding"]`` says which.

Mapping:

- statement: ``account_number`` = ``ACCTID`` as written (``BANKID``,
  ``BRANCHID``, ``ACCTTYPE`` in ``raw``; for a French RIB - 5-digit bank,
  5-digit branch, 11-character account - ``raw["iban"]`` holds the IBAN
  computed with the RIB key), ``currency`` = ``CURDEF``, ``balance_end`` =
  ``LEDGERBAL/BALAMT``, ``date`` = ``LEDGERBAL/DTASOF`` (else ``DTEND``).
  OFX has no opening balance: ``balance_start`` = closing minus the sum of the
  transactions, and ``raw["balance_start_computed"]`` is ``True``. An empty or
  missing ``BALAMT`` leaves both balances ``None``.
- transaction: ``date`` = ``DTPOSTED``, ``value_date`` = ``DTAVAIL``;
  ``amount`` = ``TRNAMT`` (signed as the bank wrote it: negative is money out,
  also for credit cards; ``.`` or ``,`` decimal mark); ``unique_import_id`` =
  ``FITID`` (unique per account per the OFX spec; the import layer scopes ids
  by journal; when two transactions of one statement share a FITID neither
  keeps it, ``raw["ambiguous_id"]`` says so); ``partner_name`` =
  ``PAYEE/NAME`` else ``NAME``; ``label`` = ``MEMO`` else the payee name
  (banks truncate ``NAME`` to 32 characters and put the full text or the
  remittance information in ``MEMO``), else ``TRNTYPE`` and ``ref``;
  ``ref`` = ``CHECKNUM`` (unless all zeros) else ``REFNUM``;
  ``transaction_type`` = ``TRNTYPE`` upper-cased; ``account_number`` =
  ``BANKACCTTO/ACCTID`` or ``CCACCTTO/ACCTID``.
  ``ORIGCURRENCY`` (amount converted from a foreign currency): ``foreign_currency``
  = its ``CURSYM`` and ``foreign_amount`` = ``TRNAMT / CURRATE`` rounded to
  cents (``raw["foreign_amount_computed"]``). ``CURRENCY`` (amounts written in
  another currency than ``CURDEF``): ``foreign_amount`` = ``TRNAMT`` and
  ``amount`` = ``TRNAMT * CURRATE`` rounded to cents. Every element of the
  ``STMTTRN`` is kept in ``raw`` (lower-case tag names).
- Dates ``YYYYMMDD[HHMMSS[.XXX]][[+-h:TZ]]`` (also ``HHMM`` and ``:XXX``
  milliseconds): the date is taken as written, not moved to UTC, because the
  bank's local date is the booking date it shows the customer.

Errors: a transaction without a valid ``DTPOSTED`` or ``TRNAMT``, an invalid
date (Feb 31), a non-numeric amount, no ``<OFX>`` element, or a file whose
only content is an error status (``STATUS/CODE`` not 0) raise
:class:`~.errors.ParseError` naming the line and the element path.

Options (keyword-only):

``max_size``
    Byte limit (default :data:`~.common.MAX_FILE_SIZE`).
"""

import codecs
import contextlib
import datetime
import html.entities
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from .common import (
    MAX_FILE_SIZE,
    check_size,
    check_xml_prolog,
    decode_text,
    make_xml_parser,
    parse_decimal,
    pausing_gc,
)
from .errors import ParseError, _lt
from .result import ParsedStatement, Transaction

FORMAT = "ofx"

_SNIFF = re.compile(rb"OFXHEADER\s*[:=]|<OFX>", re.IGNORECASE)

# --------------------------------------------------------------------------- sniff


def sniff(data):
    """Return True when the first 4 KB look like OFX (SGML header or <OFX>)."""
    return bool(_SNIFF.search(data[:4096]))


# --------------------------------------------------------------------------- tree


class _Node:
    """One OFX element: a leaf has text, an aggregate has children."""

    __slots__ = ("children", "line", "parts", "tag")

    def __init__(self, tag, line):
        self.tag = tag
        self.parts = None  # list of text pieces, None while no text was seen
        self.children = []
        self.line = line

    @property
    def text(self):
        return "".join(self.parts).strip() if self.parts else ""

    def find(self, tag):
        for child in self.children:
            if child.tag == tag:
                return child
        return None

    def findtext(self, tag):
        child = self.find(tag)
        return child.text if child is not None else ""

    def iter(self, tags, skip=frozenset()):
        """Yield descendants whose tag is in ``tags`` (document order).

        The insides of elements whose tag is in ``skip`` are not searched.
        """
        stack = list(reversed(self.children))
        while stack:
            node = stack.pop()
            if node.tag in tags:
                yield node
            if node.tag not in skip:
                stack.extend(reversed(node.children))


_TOKEN = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9._:-]*)\s*>"  # start / end tag
    r"|<!\[CDATA\[(.*?)\]\]>"  # CDATA
    r"|<!--.*?-->"  # comment
    r"|<\?.*?\?>"  # processing instruction / XML declaration
    r"|<!DOCTYPE",  # refused
    re.DOTALL,
)
_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def _entity(match):
    name = match.group(1)
    if name[0] == "#":
        code = int("0" + name[1:], 16) if name[1] in "xX" else int(name[1:])
        if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000:
            return chr(code)
        return match.group(0)
    char = html.entities.html5.get(name + ";")
    return char if char is not None else match.group(0)


def _unescape(text):
    return _ENTITY.sub(_entity, text) if "&" in text else text


# Aggregates the mapping reads: when one of them ends without its end tag
# (``</STMTTRNRS>`` closing an unclosed ``<STMTRS>``), its children stay in it.
_AGGREGATES = frozenset(
    "OFX SIGNONMSGSRSV1 SONRS STATUS FI BANKMSGSRSV1 CREDITCARDMSGSRSV1 "
    "INVSTMTMSGSRSV1 STMTTRNRS CCSTMTTRNRS INVSTMTTRNRS STMTRS CCSTMTRS INVSTMTRS "
    "BANKACCTFROM CCACCTFROM BANKACCTTO CCACCTTO BANKTRANLIST STMTTRN PAYEE "
    "CURRENCY ORIGCURRENCY LEDGERBAL AVAILBAL BALLIST BAL".split()
)


def _close(node, parent):
    """Element ``node`` ends without its end tag: fix an empty leaf's nesting."""
    if node.parts is None and node.children and node.tag not in _AGGREGATES:
        # An empty leaf (``<NAME>`` with no text) swallowed its followers: they
        # are its siblings in fact.
        index = parent.children.index(node)
        parent.children[index + 1 : index + 1] = node.children
        node.children = []


def _end(stack, depth):
    """End ``stack[depth]`` and every element still open inside it."""
    while len(stack) > depth + 1:
        node = stack.pop()
        _close(node, stack[-1])
    node = stack.pop()
    if node.parts is None and not node.children:
        node.parts = []  # explicitly empty: <NAME></NAME>


def _tokenize(body, first_line):
    """Build a :class:`_Node` tree from SGML (or not well-formed XML) OFX text."""
    root = _Node("#root", first_line)
    stack = [root]
    line = first_line
    pos = 0
    count = body.count
    for match in _TOKEN.finditer(body):
        start = match.start()
        line += count("\n", pos, start)
        if start > pos:
            text = body[pos:start]
            if not text.isspace():
                top = stack[-1]
                if top.parts is None:
                    top.parts = []
                top.parts.append(_unescape(text))
        pos = match.end()
        slash, tag = match.group(1), match.group(2)
        if tag is not None:
            tag = tag.upper()
            top = stack[-1]
            if not slash:
                if top.parts is not None and top is not root:
                    # The open element has text: a leaf, ended by this tag.
                    stack.pop()
                    _close(top, stack[-1])
                    top = stack[-1]
                if tag in _AGGREGATES:
                    # OFX never nests an aggregate in one of the same name: a
                    # second <STMTTRN> ends a first one that lacks </STMTTRN>.
                    for depth in range(len(stack) - 1, 0, -1):
                        if stack[depth].tag == tag:
                            _end(stack, depth)
                            top = stack[-1]
                            break
                node = _Node(tag, line)
                top.children.append(node)
                stack.append(node)
            else:
                for depth in range(len(stack) - 1, 0, -1):
                    if stack[depth].tag == tag:
                        _end(stack, depth)
                        break
                # An end tag matching nothing open is ignored (``</BALAMT>``
                # after the leaf was already ended by the next start tag).
        elif match.group(3) is not None:
            top = stack[-1]
            if top.parts is None:
                top.parts = []
            top.parts.append(match.group(3))
        elif match.group(0) == "<!DOCTYPE":
            raise ParseError(
                _lt("DOCTYPE declarations are refused in OFX"),
                _lt("line %(line)s", line=line),
            )
        line += count("\n", start, pos)
    if pos < len(body) and not body[pos:].isspace():
        top = stack[-1]
        if top is not root:
            if top.parts is None:
                top.parts = []
            top.parts.append(_unescape(body[pos:]))
    open_aggregates = [node for node in stack[2:] if node.tag in _AGGREGATES]
    if open_aggregates:
        # Only a missing </OFX> is forgiven: anything more is a cut file.
        node = open_aggregates[-1]
        raise ParseError(
            _lt("file ends inside <%(tag)s> (truncated file?)", tag=node.tag),
            _lt("line %(line)s, %(path)s", line=node.line, path=node.tag),
        )
    while len(stack) > 1:
        node = stack.pop()
        _close(node, stack[-1])
    return root


def _from_lxml(element):
    """Convert a parsed lxml tree to :class:`_Node` (tags upper-cased)."""
    root = _Node("#root", 1)
    stack = [root]
    for event, elem in etree.iterwalk(element, events=("start", "end")):
        if not isinstance(elem.tag, str):
            continue  # an entity reference left unresolved on purpose
        if event == "start":
            node = _Node(elem.tag.upper(), elem.sourceline or 0)
            stack[-1].children.append(node)
            stack.append(node)
        else:
            node = stack.pop()
            if not node.children:
                node.parts = [elem.text or ""]
    return root


# --------------------------------------------------------------------------- read

_SGML_HEADER_LINE = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.*?)\s*$")
_XML_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")
_OFX_PI = re.compile(rb"<\?OFX([^>]*)\?>", re.IGNORECASE)
_PI_ATTR = re.compile(rb"([A-Za-z]+)\s*=\s*[\"']([^\"']*)[\"']")

_CHARSETS = {
    "1252": "cp1252",
    "WINDOWS-1252": "cp1252",
    "8859-1": "latin-1",
    "ISO-8859-1": "latin-1",
    "ISO8859-1": "latin-1",
    "UTF-8": "utf-8",
    "UTF8": "utf-8",
}


def _declared_encoding(headers, xml_encoding):
    if xml_encoding:
        return xml_encoding
    encoding = headers.get("ENCODING", "").upper()
    if encoding in {"UNICODE", "UTF-8", "UTF8"}:
        return "utf-8"
    charset = headers.get("CHARSET", "").upper()
    return _CHARSETS.get(charset, "cp1252" if charset else None)


def _decode(data, declared):
    """Return ``(text, codec)``; valid UTF-8 wins over any declaration."""
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    if not body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        with contextlib.suppress(UnicodeDecodeError):
            return body.decode("utf-8"), "utf-8"
    try:
        codecs.lookup(declared or "")
    except LookupError:
        declared = None
    return decode_text(data, declared), declared or "fallback"


def _read_tree(data):
    """Decode ``data`` and return ``(root node, info dict)``."""
    start = data.find(b"<")
    if start < 0:
        raise ParseError(
            _lt("no OFX element found (not an OFX file)"),
            _lt("line %(line)s", line=1),
        )
    head = data[:start].decode("latin-1")
    headers = {}
    for raw_line in head.splitlines():
        match = _SGML_HEADER_LINE.match(raw_line)
        if match:
            headers[match.group(1).upper()] = match.group(2)
    ofx_start = data.find(b"<OFX", 0, 65536)
    prolog = data[:ofx_start] if ofx_start >= 0 else data[:4096]
    xml_enc = _XML_ENCODING.search(prolog)
    xml_encoding = xml_enc.group(1).decode("ascii") if xml_enc else None
    pi = _OFX_PI.search(prolog)
    if pi:
        for key, value in _PI_ATTR.findall(pi.group(1)):
            headers.setdefault(key.decode().upper(), value.decode("latin-1"))
    declared = _declared_encoding(headers, xml_encoding)
    text, codec = _decode(data, declared)
    info = {
        "version": headers.get("VERSION"),
        "encoding": codec,
        "declared_encoding": declared,
    }
    is_xml = bool(pi or xml_enc) or "OFXHEADER" not in headers
    ofx_at = text.find("<OFX>")
    if ofx_at < 0:
        ofx_at = text.upper().find("<OFX>")
    if ofx_at < 0:
        raise ParseError(_lt("no <OFX> element found (not an OFX file)"))
    first_line = text.count("\n", 0, ofx_at) + 1
    body = text[ofx_at:]
    if is_xml:
        check_xml_prolog(data)
        try:
            parser = make_xml_parser(remove_comments=True, remove_pis=True, strip_cdata=True)
            element = etree.fromstring(("\n" * (first_line - 1) + body).encode("utf-8"), parser)
            info["syntax"] = "xml"
            return _from_lxml(element), info
        except etree.XMLSyntaxError as error:
            # Declared or looks like XML, yet not well-formed: many banks write
            # OFX 2 headers over SGML bodies. The tokenizer reads both.
            info["syntax"] = "sgml (not well-formed XML)"
            info["xml_error"] = str(error)[:200]
    else:
        info["syntax"] = "sgml"
    return _tokenize(body, first_line), info


# --------------------------------------------------------------------------- values

_OFX_DATE = re.compile(
    r"(\d{4})(\d{2})(\d{2})"
    r"(?:(\d{2})(\d{2})(?:(\d{2})(?:[.:]\d{1,6})?)?)?"
    r"\s*(?:\[\s*([+-]?\d{1,2}(?:\.\d{1,2})?)\s*(?::\s*[A-Za-z][A-Za-z0-9]{0,9})?\s*\])?"
)


def _parse_date(text, where):
    """Return the date of an OFX date-time, strictly (the date as written)."""
    match = _OFX_DATE.fullmatch(text)
    if not match:
        raise ParseError(_lt("invalid OFX date %(text)r", text=text), where)
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        value = datetime.date(int(year), int(month), int(day))
    except ValueError as error:
        raise ParseError(
            _lt("invalid date %(value)r: %(error)s", value=text, error=error),
            where,
        ) from None
    if (
        (hour and int(hour) > 23)
        or (minute and int(minute) > 59)
        or (second and int(second) > 60)
        or (offset and abs(float(offset)) > 14)
    ):
        raise ParseError(_lt("invalid time in %(text)r", text=text), where)
    return value


_AMOUNT_CHARS = re.compile(r"[+-]?[0-9.,]+")


def _parse_amount(text, where):
    """Return a Decimal from an OFX amount (``.`` or ``,`` decimal mark)."""
    value = text.strip()
    if not _AMOUNT_CHARS.fullmatch(value):
        raise ParseError(_lt("invalid amount %(value)r", value=value), where)
    dot, comma = value.rfind("."), value.rfind(",")
    if dot >= 0 and comma >= 0:
        # Both marks: the last one is the decimal mark (1,234.56 / 1.234,56).
        decimal, thousands = (".", ",") if dot > comma else (",", ".")
        return parse_decimal(value, decimal, thousands, where=where)
    return parse_decimal(value, "," if comma >= 0 else ".", where=where)


def _raw(node):
    """Return the elements of an aggregate as a JSON-able dict (lower-case)."""
    result = {}
    for child in node.children:
        value = _raw(child) if child.children else child.text
        key = child.tag.lower()
        if key in result:
            if not isinstance(result[key], list):
                result[key] = [result[key]]
            result[key].append(value)
        else:
            result[key] = value
    return result


def _rib_iban(bank_id, branch_id, account):
    """Return the French IBAN for a RIB (bank, branch, account), else None."""
    if not (
        len(bank_id) == 5
        and bank_id.isdigit()
        and len(branch_id) == 5
        and branch_id.isdigit()
        and len(account) == 11
        and account.isalnum()
    ):
        return None
    # RIB letters map to digits: A,J->1 B,K,S->2 ... (the standard table).
    letters = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")
    digits = account.upper().translate(letters)
    key = 97 - (89 * int(bank_id) + 15 * int(branch_id) + 3 * int(digits)) % 97
    bban = f"{bank_id}{branch_id}{account.upper()}{key:02d}"
    numeric = "".join(str(int(char, 36)) for char in bban + "FR00")
    return f"FR{98 - int(numeric) % 97:02d}{bban}"


# --------------------------------------------------------------------------- parse

_STATEMENT_TAGS = {"STMTRS", "CCSTMTRS"}
_CENT = Decimal("0.01")
_NOT_IN = frozenset({"STMTTRN"})  # statement-level lookups skip transactions


@pausing_gc
def parse(data, *, max_size=MAX_FILE_SIZE):
    """Parse OFX ``data`` (bytes) into a list of :class:`ParsedStatement`.

    See the module docstring for the mapping; raises :class:`ParseError`.
    """
    check_size(data, max_size)
    if not data.strip():
        raise ParseError(_lt("empty file"))
    root, info = _read_tree(data)
    ofx = root.find("OFX")
    if ofx is None:
        raise ParseError(_lt("no <OFX> element found (not an OFX file)"))
    statuses = {}
    for wrapper in ofx.iter({"STMTTRNRS", "CCSTMTTRNRS"}):
        status = wrapper.find("STATUS")
        for child in wrapper.children:
            if child.tag in _STATEMENT_TAGS and status is not None:
                statuses[id(child)] = status
    statements = []
    for index, node in enumerate(ofx.iter(_STATEMENT_TAGS), start=1):
        statements.append(_statement(node, index, info, statuses.get(id(node))))
    if not statements:
        _raise_empty(ofx)
    return statements


def _raise_empty(ofx):
    """No statement in the file: say why (server error status or nothing)."""
    for status in ofx.iter({"STATUS"}):
        code = status.findtext("CODE")
        if code and code != "0":
            message = status.findtext("MESSAGE") or status.findtext("SEVERITY")
            raise ParseError(
                _lt(
                    "the bank returned error %(code)s: %(message)s",
                    code=code,
                    message=message or "no message",
                ),
                _lt("line %(line)s, %(path)s", line=status.line, path="STATUS"),
            )
    if any(True for _node in ofx.iter({"INVSTMTRS"})):
        raise ParseError(_lt("investment statements (INVSTMTRS) are not supported"))
    raise ParseError(_lt("no bank or credit card statement (STMTRS/CCSTMTRS) in file"))


def _statement(node, index, info, status):
    path = f"{node.tag}[{index}]"
    account = node.find("BANKACCTFROM") or node.find("CCACCTFROM")
    raw = {
        "ofx_version": info["version"],
        "syntax": info["syntax"],
        "encoding": info["encoding"],
        "message_set": "creditcard" if node.tag == "CCSTMTRS" else "bank",
    }
    if info.get("xml_error"):
        raw["xml_error"] = info["xml_error"]
    account_number = None
    if account is not None:
        account_number = account.findtext("ACCTID") or None
        for tag, key in (
            ("BANKID", "bank_id"),
            ("BRANCHID", "branch_id"),
            ("ACCTTYPE", "account_type"),
            ("ACCTKEY", "account_key"),
        ):
            if account.findtext(tag):
                raw[key] = account.findtext(tag)
        iban = _rib_iban(raw.get("bank_id", ""), raw.get("branch_id", ""), account_number or "")
        if iban:
            raw["iban"] = iban
    if status is not None and status.findtext("CODE") not in ("", "0"):
        # A warning status next to a statement (e.g. 2000 with data): keep it.
        raw["status"] = _raw(status)
    currency = node.findtext("CURDEF").upper() or None
    date = None
    balance_end = None
    # Descendants, not children: a BANKTRANLIST without its end tag (Nubank)
    # holds the balances that follow it.
    ledger = next(node.iter({"LEDGERBAL"}, _NOT_IN), None)
    if ledger is not None:
        line = ledger.line
        if ledger.findtext("BALAMT"):
            balance_end = _parse_amount(
                ledger.findtext("BALAMT"),
                _lt("line %(line)s, %(path)s", line=line, path=f"{path}/LEDGERBAL/BALAMT"),
            )
        if ledger.findtext("DTASOF"):
            date = _parse_date(
                ledger.findtext("DTASOF"),
                _lt("line %(line)s, %(path)s", line=line, path=f"{path}/LEDGERBAL/DTASOF"),
            )
    available = next(node.iter({"AVAILBAL"}, _NOT_IN), None)
    if available is not None:
        raw["available_balance"] = _raw(available)
    lists = list(node.iter({"BANKTRANLIST"}, _NOT_IN))
    for tag in ("DTSTART", "DTEND"):
        values = [lst.findtext(tag) for lst in lists if lst.findtext(tag)]
        if values:
            raw[tag.lower()] = values[0]
    if date is None and raw.get("dtend"):
        end = next(lst.find("DTEND") for lst in lists if lst.findtext("DTEND"))
        date = _parse_date(
            raw["dtend"],
            _lt("line %(line)s, %(path)s", line=end.line, path=f"{path}/BANKTRANLIST/DTEND"),
        )
    transactions = []
    ids = {}
    for tx_index, trn in enumerate(node.iter({"STMTTRN"}, _NOT_IN), start=1):
        tx = _transaction(trn, lambda i=tx_index: f"{path}/STMTTRN[{i}]", currency)
        if tx.unique_import_id:
            other = ids.get(tx.unique_import_id)
            if other is not None:
                other.raw["ambiguous_id"] = tx.raw["ambiguous_id"] = tx.unique_import_id
                other.unique_import_id = tx.unique_import_id = None
            else:
                ids[tx.unique_import_id] = tx
        transactions.append(tx)
    balance_start = None
    if balance_end is not None:
        balance_start = balance_end - sum((tx.amount for tx in transactions), 0)
        raw["balance_start_computed"] = True
    return ParsedStatement(
        account_number=account_number,
        currency=currency,
        date=date,
        balance_start=balance_start,
        balance_end=balance_end,
        transactions=transactions,
        raw=raw,
    )


def _text(raw, key):
    """Return the text of leaf ``key`` in a :func:`_raw` dict ("" if none)."""
    value = raw.get(key, "")
    if isinstance(value, list):
        value = value[0]
    return value if isinstance(value, str) else ""


def _transaction(trn, path, statement_currency):
    raw = _raw(trn)
    posted = _text(raw, "dtposted")
    amount_text = _text(raw, "trnamt")
    tag = "DTPOSTED"
    try:
        if not posted:
            raise ParseError(_lt("transaction without DTPOSTED (booking date)"))
        if not amount_text:
            raise ParseError(_lt("transaction without TRNAMT (amount)"))
        date = _parse_date(posted, None)
        tag = "TRNAMT"
        amount = _parse_amount(amount_text, None)
        value_date = None
        if _text(raw, "dtavail"):
            tag = "DTAVAIL"
            value_date = _parse_date(_text(raw, "dtavail"), None)
        if _text(raw, "dtuser"):
            tag = "DTUSER"
            _parse_date(_text(raw, "dtuser"), None)
    except ParseError as error:
        # Where strings are built only on error: 10,000 transactions do not
        # pay for 40,000 f-strings.
        node = trn.find(tag)
        if node is None or "without" in error.message:
            error.where = _lt("line %(line)s, %(path)s", line=trn.line, path=path())
        else:
            error.where = _lt("line %(line)s, %(path)s", line=node.line, path=f"{path()}/{tag}")
        raise
    payee = raw.get("payee")
    name = _text(raw, "name")
    if isinstance(payee, dict) and _text(payee, "name"):
        name = _text(payee, "name")
    memo = _text(raw, "memo")
    checknum = _text(raw, "checknum")
    ref = checknum if checknum.strip("0") else None
    ref = ref or _text(raw, "refnum") or None
    trntype = _text(raw, "trntype").upper()
    # Without NAME and MEMO (a cheque), "CHECK 1000" still tells what it is.
    label = memo or name or " ".join(filter(None, (trntype, ref)))
    counterparty = raw.get("bankacctto") or raw.get("ccacctto")
    account_number = None
    if isinstance(counterparty, dict):
        account_number = _text(counterparty, "acctid") or None
    tx = Transaction(
        date=date,
        amount=amount,
        value_date=value_date,
        currency=statement_currency,
        label=label,
        ref=ref,
        unique_import_id=_text(raw, "fitid") or None,
        partner_name=name or None,
        account_number=account_number,
        transaction_type=trntype or None,
        raw=raw,
    )
    if "origcurrency" in raw or "currency" in raw:
        _foreign(tx, trn, statement_currency, path())
    return tx


def _foreign(tx, trn, statement_currency, path):
    """Apply CURRENCY / ORIGCURRENCY to ``tx`` (see the module docstring)."""
    for tag in ("ORIGCURRENCY", "CURRENCY"):
        node = trn.find(tag)
        if node is None:
            continue
        symbol = node.findtext("CURSYM").upper()
        if not symbol:
            continue
        if statement_currency in (None, symbol):
            # Same currency (or CURDEF missing): nothing foreign about it.
            tx.currency = symbol
            return
        rate = None
        if node.findtext("CURRATE"):
            rate = _parse_amount(
                node.findtext("CURRATE"),
                _lt("line %(line)s, %(path)s", line=trn.line, path=f"{path}/{tag}/CURRATE"),
            )
        tx.foreign_currency = symbol
        if not rate:
            return
        try:
            if tag == "ORIGCURRENCY":
                tx.foreign_amount = (tx.amount / rate).quantize(_CENT, ROUND_HALF_UP)
                tx.raw["foreign_amount_computed"] = True
            else:
                tx.foreign_amount = tx.amount
                tx.amount = (tx.amount * rate).quantize(_CENT, ROUND_HALF_UP)
                tx.raw["amount_converted_from"] = symbol
        except InvalidOperation as error:
            raise ParseError(
                _lt("invalid currency rate %(rate)s", rate=rate),
                _lt("line %(line)s, %(path)s", line=trn.line, path=path),
            ) from error
        return
