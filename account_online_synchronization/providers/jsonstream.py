"""Incremental JSON decoding of a response body that arrives in chunks.

Some provider answers are one big JSON document (GoCardless returns every
transaction of a date range at once). Loading it whole costs memory in
proportion to the range; :func:`iter_json_events` instead walks the document
as its bytes arrive and hands over the elements of chosen arrays one by one,
so the caller holds one element at a time.

Only the structure leading to the streamed arrays is walked by hand (objects,
keys, commas); every value, including each streamed element, is decoded by
the standard library's C decoder (:meth:`json.JSONDecoder.raw_decode`). A
value that is not complete in the buffer is retried once more bytes arrived,
the buffer at least doubling each time, so decoding stays linear; one value
may not exceed ``max_value_chars`` (a malformed document fails there instead
of being read to the end first).

Numbers with a fraction become :class:`~decimal.Decimal`, never ``float``,
as in :func:`.transport.parse_json`.
"""

import codecs
import json
import re
from decimal import Decimal

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL = re.compile(r"[0-9eE.+\-]*")
MAX_VALUE_CHARS = 8 * 1024 * 1024


class JsonStreamError(ValueError):
    """The document is not valid JSON (or is truncated).

    :ivar position: character offset in the whole document where decoding
        failed.
    """

    def __init__(self, message, position):
        super().__init__(f"{message} at character {position}")
        self.position = position


class _Reader:
    """Characters of the document, decoded incrementally from byte chunks."""

    def __init__(self, chunks, max_value_chars):
        self.chunks = iter(chunks)
        self.text_decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self.json_decoder = json.JSONDecoder(parse_float=Decimal)
        self.max_value_chars = max_value_chars
        self.buf = ""
        self.pos = 0  # in buf
        self.offset = 0  # characters dropped before buf
        self.eof = False

    def error(self, message, pos=None):
        return JsonStreamError(message, self.offset + (self.pos if pos is None else pos))

    def fill(self, at_least=1):
        """Append decoded chunks until ``at_least`` more characters or the end.

        Drops the consumed part of the buffer first; returns False at the end.
        """
        if self.eof:
            return False
        if self.pos:
            self.buf = self.buf[self.pos:]
            self.offset += self.pos
            self.pos = 0
        wanted = len(self.buf) + at_least
        parts = [self.buf]
        size = len(self.buf)
        while size < wanted:
            chunk = next(self.chunks, None)
            try:
                if chunk is None:
                    text = self.text_decoder.decode(b"", final=True)
                    self.eof = True
                else:
                    text = self.text_decoder.decode(chunk)
            except UnicodeDecodeError as error:
                raise self.error(f"Invalid UTF-8 ({error.reason})", size) from error
            parts.append(text)
            size += len(text)
            if self.eof:
                break
        self.buf = "".join(parts)
        return size > len(parts[0]) or not self.eof

    def peek(self):
        """Skip whitespace; return the next character, or "" at the end."""
        while True:
            self.pos = _WHITESPACE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def expect(self, allowed, what):
        char = self.peek()
        if not char or char not in allowed:
            raise self.error(f"Expecting {what}" if char else f"Truncated document: "
                             f"expecting {what}")
        self.pos += 1
        return char

    def value(self):
        """Decode the complete value at the current position."""
        if not self.peek():
            raise self.error("Truncated document: expecting a value")
        while True:
            try:
                value, end = self.json_decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as error:
                if self.eof:
                    raise self.error(f"Malformed JSON ({error.msg})", error.pos) from error
                if len(self.buf) - self.pos > self.max_value_chars:
                    raise self.error(
                        f"Malformed JSON or value longer than {self.max_value_chars} "
                        f"characters ({error.msg})", error.pos,
                    ) from error
                self.fill(max(len(self.buf) - self.pos, 4096))
                continue
            if (isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
                    and not self.eof
                    and _NUMBER_TAIL.match(self.buf, end).end() == len(self.buf)):
                # "12" at the end of the buffer may be the start of "123" or "1e5".
                self.fill(4096)
                continue
            self.pos = end
            return value


def iter_json_events(chunks, stream_paths, *, max_value_chars=MAX_VALUE_CHARS):
    """Walk a JSON document given as byte chunks; yield ``(kind, path, value)``.

    :param chunks: iterable of ``bytes`` (UTF-8, split anywhere, even inside a
        character or an escape).
    :param stream_paths: set of key paths (tuples of object keys, e.g.
        ``("transactions", "booked")``) whose arrays are streamed: each of
        their elements is yielded as ``("item", path, element)``. Every other
        value met on the way is yielded whole as ``("value", path, value)``,
        including a streamed path whose value is not an array; objects on the
        way to a streamed path are walked, not yielded.
    :param max_value_chars: longest single value accepted (a streamed array
        element, or a value yielded whole).
    :raises JsonStreamError: invalid or truncated JSON, extra data after the
        document; nothing is yielded after the error.
    """
    reader = _Reader(chunks, max_value_chars)
    stream_paths = {tuple(path) for path in stream_paths}
    prefixes = {path[:i] for path in stream_paths for i in range(len(path))}
    if reader.peek() == "{" and () in prefixes:
        yield from _walk_object(reader, (), stream_paths, prefixes)
    elif reader.peek() == "[" and () in stream_paths:
        yield from _walk_array(reader, ())
    else:
        yield ("value", (), reader.value())
    if reader.peek():
        raise reader.error("Extra data after the JSON document")


def _walk_object(reader, path, stream_paths, prefixes):
    reader.expect("{", "'{'")
    yield ("object", path, None)
    if reader.peek() == "}":
        reader.pos += 1
        return
    while True:
        if reader.peek() != '"':
            reader.expect('"', "a property name in double quotes")
        key = reader.value()
        reader.expect(":", "':'")
        child = (*path, key)
        char = reader.peek()
        if child in stream_paths and char == "[":
            yield from _walk_array(reader, child)
        elif child in prefixes and char == "{":
            yield from _walk_object(reader, child, stream_paths, prefixes)
        else:
            yield ("value", child, reader.value())
        if reader.expect(",}", "',' or '}'") == "}":
            return


def _walk_array(reader, path):
    reader.expect("[", "'['")
    if reader.peek() == "]":
        reader.pos += 1
        return
    while True:
        yield ("item", path, reader.value())
        if reader.expect(",]", "',' or ']'") == "]":
            return
