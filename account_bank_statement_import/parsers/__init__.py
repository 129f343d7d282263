"""Statement file parsers (pure Python) and the format registry.

Each format module exposes ``FORMAT``, ``sniff(data) -> bool`` and
``parse(data, **options) -> list[ParsedStatement]`` (see ``result.py``).
:func:`detect_format` asks every available module's ``sniff`` in
:data:`FORMATS` order and uses the file name's extension only to choose
between several formats that all claim the bytes. :func:`parse_file` detects,
parses, unpacks ZIP archives and names the file in every :class:`ParseError`.

Formats whose module is missing or cannot be imported (they are written
separately) are skipped and reported by :func:`available_formats`.
"""

import importlib
import inspect
import io
import zipfile
import zlib

from .common import MAX_FILE_SIZE, check_size
from .errors import FileTooLargeError, ParseError, UnknownFormatError, _lt

# Detection order: specific signatures first, generic text (CSV) last.
# code -> (module names to try, extensions)
FORMATS = {
    "camt": (("camt",), (".xml", ".053", ".052", ".054", ".camt")),
    "ofx": (("ofx",), (".ofx", ".qfx")),
    "coda": (("coda",), (".cod", ".coda", ".txt")),
    "mt940": (("mt940",), (".940", ".942", ".sta", ".swi", ".mt940", ".txt")),
    "qif": (("qif",), (".qif",)),
    "xlsx": (("xlsx", "sheet"), (".xlsx", ".xls")),
    "csv": (("csv_format", "sheet"), (".csv", ".txt", ".tsv")),
}
ZIP_MAX_MEMBERS = 1000
ZIP_MAX_TOTAL = 4 * MAX_FILE_SIZE  # uncompressed bytes over all members
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member, or an empty archive
_PDF_MAGIC = b"%PDF"


class _FormatAdapter:
    """The ``sniff``/``parse`` pair of one format code.

    A module may serve several codes (``sheet`` serves ``csv`` and ``xlsx``):
    it then exposes ``sniff_<code>``/``parse_<code>`` functions, or a
    ``FORMATS`` mapping of code -> object with ``sniff``/``parse``.
    """

    def __init__(self, code, module):
        self.code = code
        self.module = module
        formats = getattr(module, "FORMATS", None)
        handler = formats.get(code) if isinstance(formats, dict) else None
        if handler is not None:
            self.sniff, self.parse = handler.sniff, handler.parse
        elif hasattr(module, f"sniff_{code}") and hasattr(module, f"parse_{code}"):
            self.sniff = getattr(module, f"sniff_{code}")
            self.parse = getattr(module, f"parse_{code}")
        elif getattr(module, "FORMAT", None) == code:
            self.sniff, self.parse = module.sniff, module.parse
        else:
            raise ImportError(f"module {module.__name__} does not serve {code!r}")
        try:
            parameters = inspect.signature(self.parse).parameters
        except (TypeError, ValueError):
            parameters = {}
        self.takes_max_size = "max_size" in parameters


_adapters = {}
_missing = {}


def _adapter(code):
    if code in _adapters:
        return _adapters[code]
    if code in _missing:
        return None
    adapter = None
    errors = []
    for module_name in FORMATS[code][0]:
        try:
            module = importlib.import_module(f".{module_name}", __name__)
            adapter = _FormatAdapter(code, module)
            break
        except Exception as error:  # noqa: BLE001
            # Written separately: absent (or broken) until then; detection
            # goes on with the other formats.
            errors.append(f"{module_name}: {error}")
    if adapter is None:
        _missing[code] = "; ".join(errors)
        return None
    _adapters[code] = adapter
    return adapter


def available_formats():
    """Return the codes of the formats whose parser can be imported, in order."""
    return [code for code in FORMATS if _adapter(code) is not None]


def _supported_text():
    return ", ".join(available_formats()) + " (and ZIP archives of these)"


def _is_zip_archive(data):
    """True for a ZIP that is not itself a spreadsheet (XLSX is a ZIP too)."""
    if not data.startswith(_ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return not ("[Content_Types].xml" in names and any(name.startswith("xl/") for name in names))


def detect_format(data, filename=None):
    """Return the format code of ``data`` (``"zip"`` for an archive).

    Every available format's ``sniff`` is asked, in :data:`FORMATS` order; when
    several claim the bytes, the one whose extensions include ``filename``'s
    wins, else the first. Raises :class:`UnknownFormatError` when none does.
    """
    if _is_zip_archive(data):
        return "zip"
    matches = []
    for code in FORMATS:
        adapter = _adapter(code)
        if adapter is None:
            continue
        try:
            claimed = adapter.sniff(data)
        except Exception:  # noqa: BLE001 - a buggy sniff must not hide the others
            claimed = False
        if claimed:
            matches.append(code)
    if not matches:
        kind = _lt("a PDF document") if data.startswith(_PDF_MAGIC) else _lt("not a known format")
        raise UnknownFormatError(
            _lt(
                "%(kind)s: this file cannot be read as a bank statement; supported formats: "
                "%(formats)s",
                kind=kind,
                formats=_supported_text(),
            ),
            filename=filename,
        )
    if len(matches) > 1 and filename:
        extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        for code in matches:
            if extension in FORMATS[code][1]:
                return code
    return matches[0]


def parse_file(data, filename=None, format=None, **options):  # noqa: A002
    """Detect (unless ``format`` is given) and parse ``data``.

    Returns ``list[ParsedStatement]``. ZIP archives are unpacked: each member
    is parsed (members named in errors); nested archives are refused and the
    total uncompressed size is bounded (zip bombs). ``options`` go to the
    format's ``parse`` (``max_size`` too, and it bounds every member).
    Every :class:`ParseError` raised carries ``filename``.
    """
    try:
        check_size(data, options.get("max_size", MAX_FILE_SIZE))
        code = format or detect_format(data, filename)
        if code == "zip":
            return _parse_zip(data, filename, options)
        return _parse_one(code, data, options)
    except ParseError as error:
        if filename and not error.filename:
            error.filename = filename
        raise


def _parse_one(code, data, options):
    if code not in FORMATS:
        raise UnknownFormatError(
            _lt(
                "unknown format %(code)r; supported formats: %(formats)s",
                code=code,
                formats=_supported_text(),
            )
        )
    adapter = _adapter(code)
    if adapter is None:
        raise UnknownFormatError(
            _lt(
                "the %(code)s parser is not available (%(reason)s); supported formats: "
                "%(formats)s",
                code=code,
                reason=_missing.get(code),
                formats=_supported_text(),
            )
        )
    if "max_size" in options and not adapter.takes_max_size:
        # The registry enforced the limit already; not every parser takes it.
        options = {key: value for key, value in options.items() if key != "max_size"}
    return adapter.parse(data, **options)


def _parse_zip(data, filename, options):
    limit = options.get("max_size", MAX_FILE_SIZE)
    total_limit = ZIP_MAX_TOTAL if limit is None else min(ZIP_MAX_TOTAL, 4 * limit)
    statements = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ParseError(_lt("invalid ZIP archive: %(error)s", error=error)) from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if not members:
            raise ParseError(_lt("the ZIP archive is empty"))
        if len(members) > ZIP_MAX_MEMBERS:
            raise ParseError(
                _lt("the ZIP archive holds more than %(limit)s files", limit=ZIP_MAX_MEMBERS)
            )
        total = 0
        for info in members:
            member_name = f"{filename or 'archive'}/{info.filename}"
            try:
                content = _read_member(archive, info, limit, total_limit - total)
                total += len(content)
                if _is_zip_archive(content):
                    raise ParseError(_lt("nested ZIP archives are not accepted"))
                code = detect_format(content, info.filename)
                statements.extend(_parse_one(code, content, options))
            except ParseError as error:
                error.filename = member_name
                raise
    return statements


def _read_member(archive, info, limit, remaining):
    """Read one member, stopping as soon as a size bound is crossed.

    The sizes written in the archive can lie, so the bytes are counted while
    they are decompressed.
    """
    bound = remaining if limit is None else min(limit, remaining)
    chunks = []
    size = 0
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(1 << 16)
                if not chunk:
                    break
                size += len(chunk)
                if size > bound:
                    raise FileTooLargeError(
                        _lt(
                            "the ZIP archive unpacks to more than the allowed size (%(bound)s "
                            "bytes left)",
                            bound=f"{bound:,}",
                        )
                    )
                chunks.append(chunk)
    except ParseError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        ValueError,
        RuntimeError,
        EOFError,
    ) as error:
        raise ParseError(_lt("cannot unpack: %(error)s", error=error)) from None
    except NotImplementedError as error:
        raise ParseError(_lt("unsupported compression: %(error)s", error=error)) from None
    return b"".join(chunks)


__all__ = [
    "FORMATS",
    "FileTooLargeError",
    "ParseError",
    "UnknownFormatError",
    "available_formats",
    "detect_format",
    "parse_file",
]
