"""Property tests: whatever the bytes, parsers return statements or raise ParseError.

Runs over every format the registry can import (formats written later join
automatically) plus the registry's own ``parse_file``.

``PARSER_FUZZ_EXAMPLES=3000`` runs a deep local search (default 200). Every
input a deep run found is pinned below as an ``@example``, so CI, which runs
derandomized, keeps checking it.
"""

import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from account_bank_statement_import import parsers
from account_bank_statement_import.parsers import ParseError, parse_file
from account_bank_statement_import.parsers.errors import Text
from account_bank_statement_import.parsers.result import ParsedStatement
from tests.corpus import CORPUS

FUZZ = settings(
    max_examples=int(os.environ.get("PARSER_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SAMPLES = sorted(
    path
    for path in CORPUS.glob("*/*")
    if path.is_file()
    and ".expected." not in path.name
    and path.parent.name != "_licenses"
    and path.stat().st_size < 40_000
)


def formats():
    return parsers.available_formats()


def check(parse, data):
    try:
        result = parse(data)
    except ParseError as error:
        check_translatable(error)
        return
    assert isinstance(result, list)
    assert all(isinstance(stmt, ParsedStatement) for stmt in result)


def _formatted(text):
    """``text`` rebuilt from its template and params (params that are Text first)."""
    if not isinstance(text, Text):
        return text
    params = {key: _formatted(value) for key, value in text.params.items()}
    return text.template % params if params else text.template


def check_translatable(error):
    """The error's message and location are Text whose template gives the English text."""
    assert isinstance(error.message, Text), repr(error.message)
    assert _formatted(error.message) == error.message
    assert error.where is None or isinstance(error.where, Text), repr(error.where)
    if error.where is not None:
        assert _formatted(error.where) == error.where
    assert isinstance(error.text(), Text) and _formatted(error.text()) == error.text()


@pytest.mark.parametrize("code", formats())
@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(code, data):
    check(parsers._adapter(code).parse, data)


@pytest.mark.parametrize("code", formats())
@FUZZ
@given(
    sample=st.sampled_from(SAMPLES),
    cuts=st.lists(
        st.tuples(st.integers(0, 40_000), st.integers(0, 64), st.binary(max_size=16)),
        min_size=1,
        max_size=6,
    ),
)
# Detection's trial parse pads short sample rows with None: the fast CSV row
# path must not see them.
@example(
    sample=CORPUS / "csv/ofxstatement-dutch__ing-nl_balance_history.csv",
    cuts=[(195, 14, b""), (4199, 1, b"")],
)
# A broken DTEND once carried a location that was a plain string (not translatable).
@example(
    sample=CORPUS / "ofx/ofxparse__ofx-v102-empty-tags.ofx",
    cuts=[(0, 51, b""), (3744, 0, b"\x00")],
)
def test_mutated_samples(code, sample, cuts):
    """Splice, truncate and overwrite real files (a CAMT tag, an MT940 date...)."""
    data = bytearray(sample.read_bytes())
    for position, length, replacement in cuts:
        position %= len(data) + 1
        data[position : position + length] = replacement
    check(parsers._adapter(code).parse, bytes(data))


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.sampled_from(SAMPLES).map(lambda path: path.read_bytes()[:3000]),
    )
)
def test_parse_file_any_bytes(data):
    check(lambda raw: parse_file(raw, filename="fuzz.bin"), data)


@FUZZ
@given(
    text=st.text(alphabet=st.sampled_from(list(":0123456789CDRFMN,/?\n-ABEUR{}")), max_size=400)
)
def test_mt940_like_text(text):
    """Text made of MT940's own alphabet reaches deep into the field parsing."""
    check(parsers._adapter("mt940").parse, (":20:X\n" + text).encode())
