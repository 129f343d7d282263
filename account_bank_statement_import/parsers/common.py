"""Small helpers shared by the statement parsers.

Everything here is pure Python (plus lxml) and raises only
:class:`~.errors.ParseError` (or its subclasses) on bad input:

- :data:`MAX_FILE_SIZE` and :func:`check_size`: refuse oversized input early.
- :func:`pausing_gc`: the decorator of every format's ``parse``.
- :func:`iter_lines`: ``str.splitlines()`` a piece at a time.
- :func:`xml_parser_options` / :func:`make_xml_parser` / :func:`check_xml_prolog`:
  parse XML safely (no entity expansion, no network, no DTD loading, no huge
  trees) and refuse any DOCTYPE declaring entities (XXE, billion laughs).
- :func:`decode_text` / :func:`guess_encoding`: bytes to text (BOM, declared
  charset, UTF-8, then cp1252 and finally latin-1, so no byte is ever dropped);
  :func:`decode_as`: bytes to text in an encoding the user chose, strictly.
- :func:`parse_date`, :func:`parse_iso_date`: strict dates (Feb 31 is an error).
- :func:`parse_decimal`: :class:`~decimal.Decimal` from text with given separators.

These signatures are meant to stay stable: other format modules may import them.
"""

import codecs
import datetime
import functools
import gc
import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from .errors import FileTooLargeError, ParseError, _lt

MAX_FILE_SIZE = 50 * 1024 * 1024  # bytes; a year of a busy account is far below this

# --------------------------------------------------------------------------- size


def check_size(data, limit=MAX_FILE_SIZE):
    """Raise :class:`FileTooLargeError` when ``data`` is longer than ``limit`` bytes.

    ``limit=None`` disables the check.
    """
    if limit is not None and len(data) > limit:
        raise FileTooLargeError(
            _lt(
                "file is %(length)s bytes, more than the limit of %(limit)s bytes",
                length=f"{len(data):,}",
                limit=f"{limit:,}",
            )
        )


# --------------------------------------------------------------------------- lines


def iter_lines(text, chunk_size=1 << 20):
    """Yield the lines of ``text`` exactly as ``text.splitlines()`` lists them,
    a piece of about ``chunk_size`` characters at a time.

    Pieces end just after a "\\n", so no line break ("\\r\\n" included) is
    cut; only one piece's lines exist at a time, not a list of every line of
    a large file.
    """
    start = 0
    length = len(text)
    while start < length:
        stop = text.find("\n", start + chunk_size) + 1 or length
        yield from text[start:stop].splitlines()
        start = stop


# --------------------------------------------------------------------------- GC


def pausing_gc(parse):
    """Run the decorated ``parse`` with Python's cyclic garbage collector paused.

    A parse allocates hundreds of thousands of small objects (transactions,
    Decimals, dates, raw dicts), keeps nearly all of them and makes no
    reference cycles; the collector would still walk the growing result every
    few hundred allocations (a fifth of the time of a 100,000-row CSV file).
    Reference counting frees everything as usual meanwhile. The collector is
    switched back on when the parse ends (only if it was on: a parse running
    in another thread leaves it to the first one); other threads of the
    process see it paused for that time, which only delays the collection of
    their cycles.
    """

    @functools.wraps(parse)
    def wrapper(*args, **kwargs):
        if not gc.isenabled():
            return parse(*args, **kwargs)
        gc.disable()
        try:
            return parse(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper


# --------------------------------------------------------------------------- XML

XML_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}


def xml_parser_options():
    """Return the keyword arguments for a safe ``etree.XMLParser``/``iterparse``."""
    return dict(XML_PARSER_OPTIONS)


def make_xml_parser(**extra):
    """Return an ``lxml.etree.XMLParser`` that never expands entities nor fetches."""
    return etree.XMLParser(**xml_parser_options(), **extra)


_BOM_CODECS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _xml_head_text(data, size):
    """Decode the start of an XML document well enough to look for markup."""
    head = data[:size]
    for bom, codec in _BOM_CODECS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, errors="ignore")
    # UTF-16 without BOM: "<\0?\0" or "\0<\0?"
    if head[:2] == b"<\0":
        return head.decode("utf-16-le", errors="ignore")
    if head[:2] == b"\0<":
        return head.decode("utf-16-be", errors="ignore")
    return head.decode("latin-1")


def check_xml_prolog(data):
    """Refuse an XML document whose DOCTYPE declares entities.

    A bank never needs entity declarations; they are how XXE (external
    entities reading local files) and "billion laughs" (exponential expansion)
    attacks work. We parse with entities off anyway; refusing them outright
    gives the user a clear message instead of a half-read file.
    """
    wide = data[:4].count(b"\0") or any(
        data.startswith(bom) for bom, codec in _BOM_CODECS if codec != "utf-8"
    )
    if wide:
        text = _xml_head_text(data, len(data))
        start = text.find("<!DOCTYPE")
        found = start >= 0 and text.find("<!ENTITY", start) >= 0
        if found:
            line = text.count("\n", 0, start) + 1
    else:
        start = data.find(b"<!DOCTYPE")
        found = start >= 0 and data.find(b"<!ENTITY", start) >= 0
        if found:
            line = data.count(b"\n", 0, start) + 1
    if found:
        raise ParseError(
            _lt("XML DOCTYPE with entity declarations refused (unsafe XML)"),
            where=_lt("line %(line)s", line=line),
        )


# --------------------------------------------------------------------------- text


def _codec_name(name):
    try:
        return codecs.lookup(name).name
    except (LookupError, TypeError):
        return None


def guess_encoding(data, declared=None):
    """Return the codec name :func:`decode_text` would use for ``data``.

    Order: a byte-order mark wins; then ``declared`` (when it is a known codec
    and decodes the bytes); then UTF-8; then cp1252; then latin-1, which maps
    every byte, so decoding never fails and never drops a byte.
    """
    for bom, codec in _BOM_CODECS:
        if data.startswith(bom):
            return codec + ("-sig" if codec == "utf-8" else "")
    candidates = []
    declared_codec = _codec_name(declared) if declared else None
    if declared_codec:
        candidates.append(declared_codec)
    candidates += ["utf-8", "cp1252"]
    for codec in candidates:
        if _decodes(data, codec):
            return codec
    return "latin-1"


_DECODE_PIECE = 1 << 20


def _decodes(data, codec):
    """True when ``data`` is valid ``codec`` text.

    Decoded in 1 MB pieces that are dropped at once, so that guessing the
    encoding of a large file never holds a second, decoded copy of it.
    """
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _DECODE_PIECE):
            decoder.decode(view[start : start + _DECODE_PIECE])
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def decode_text(data, declared=None):
    """Decode ``data`` to ``str`` (see :func:`guess_encoding` for the order).

    A leading BOM is removed. Decoding never loses bytes: when neither the
    declared charset nor UTF-8 fits, cp1252 is used, and for the five bytes
    cp1252 leaves undefined, latin-1.
    """
    codec = guess_encoding(data, declared)
    bom_len = 0
    if codec in {"utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"}:
        bom_len = 4 if codec.startswith("utf-32") else 2
    try:
        return data[bom_len:].decode(codec)
    except UnicodeDecodeError as error:
        # Only a byte-order mark forces a codec that may not fit the bytes after it.
        raise ParseError(
            _lt(
                "the file starts with a %(encoding)s byte-order mark but is not valid text in "
                "that encoding",
                encoding=codec.removesuffix("-sig"),
            ),
            where=_lt("byte %(offset)s", offset=error.start + bom_len),
        ) from error


def decode_as(data, encoding):
    """Decode ``data`` strictly as ``encoding`` (the user's choice).

    A byte that does not fit raises :class:`ParseError` naming its line, so
    the user can pick another encoding; an unknown codec name is refused too.
    """
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ParseError(
            _lt(
                "the file is not valid %(encoding)s (byte 0x%(byte)s); choose another encoding",
                encoding=encoding,
                byte=f"{data[error.start]:02x}",
            ),
            where=_lt("line %(line)s", line=line),
        ) from None
    except LookupError:
        raise ParseError(_lt("unknown encoding %(encoding)r", encoding=encoding)) from None


# --------------------------------------------------------------------------- dates

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date(text, fmt, where=None):
    """Parse ``text`` with :func:`datetime.datetime.strptime` format ``fmt``.

    Strict: surrounding blanks are ignored, anything else that does not match
    (or an impossible date such as Feb 31) raises :class:`ParseError`.
    """
    value = (text or "").strip()
    try:
        return datetime.datetime.strptime(value, fmt).date()
    except ValueError as error:
        raise ParseError(
            _lt(
                "invalid date %(value)r (expected format %(fmt)s): %(error)s",
                value=value,
                fmt=fmt,
                error=error,
            ),
            where=where,
        ) from None


def parse_iso_date(text, where=None):
    """Parse ``YYYY-MM-DD`` strictly and quickly (the hot path of XML formats)."""
    value = (text or "").strip()
    match = _ISO_DATE.fullmatch(value)
    if match:
        try:
            return datetime.date(*map(int, match.groups()))
        except ValueError as error:
            raise ParseError(
                _lt("invalid date %(value)r: %(error)s", value=value, error=error),
                where=where,
            ) from None
    raise ParseError(_lt("invalid date %(value)r (expected YYYY-MM-DD)", value=value), where=where)


# --------------------------------------------------------------------------- amounts

_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")


def parse_decimal(text, decimal_sep=".", thousands_sep=None, where=None):
    """Return ``text`` as an exact :class:`~decimal.Decimal`.

    ``decimal_sep`` is the decimal mark as written (``"."`` or ``","``);
    ``thousands_sep`` (``","``, ``"."``, ``" "``, ``"'"``...) is removed first when
    given. Blanks around the number are ignored; a sign may lead. Exponents,
    ``NaN``, ``Infinity`` and anything else raise :class:`ParseError`.
    """
    value = (text or "").strip()
    number = value
    if thousands_sep:
        number = number.replace(thousands_sep, "")
    if decimal_sep != ".":
        if "." in number:
            raise ParseError(_lt("invalid amount %(value)r", value=value), where=where)
        number = number.replace(decimal_sep, ".")
    if not _DECIMAL.fullmatch(number):
        raise ParseError(_lt("invalid amount %(value)r", value=value), where=where)
    try:
        return Decimal(number)
    except InvalidOperation:  # pragma: no cover - the regex already guards
        raise ParseError(_lt("invalid amount %(value)r", value=value), where=where) from None
