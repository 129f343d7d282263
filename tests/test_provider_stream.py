"""Streamed provider answers: incremental JSON decoder, sorted spool, streamed
transport and the GoCardless transactions fetch on flat memory (no Odoo)."""

import json
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from account_online_synchronization.providers import GoCardlessClient
from account_online_synchronization.providers.exceptions import (
    InvalidResponseError,
    ProviderUnavailableError,
)
from account_online_synchronization.providers.gocardless import (
    gocardless_error_mapper,
    parse_transactions,
)
from account_online_synchronization.providers.jsonstream import (
    JsonStreamError,
    iter_json_events,
)
from account_online_synchronization.providers.spool import SortedSpool
from account_online_synchronization.providers.transport import HttpTransport
from account_online_synchronization.sandbox import (
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    start_sandbox,
)

BOOKED = ("transactions", "booked")
PENDING = ("transactions", "pending")
PATHS = {BOOKED, PENDING}
TODAY = date(2025, 3, 14)


def split(data, cuts):
    """``data`` cut at the given offsets (sorted, deduplicated)."""
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in points:
        pieces.append(data[last:point])
        last = point
    pieces.append(data[last:])
    return pieces


def events(data, paths=PATHS, **kwargs):
    return list(iter_json_events(split(data, kwargs.pop("cuts", ())), paths, **kwargs))


def reassemble(found):
    """Rebuild the document's streamed arrays and other values from the events."""
    result = {"items": {}, "values": {}, "objects": []}
    for kind, path, value in found:
        if kind == "item":
            result["items"].setdefault(path, []).append(value)
        elif kind == "object":
            result["objects"].append(path)
        else:
            result["values"][path] = value
    return result


DOCUMENT = {
    "transactions": {
        "booked": [
            {"transactionId": "a\"b\\c\u00e9\u20ac\U0001F600", "transactionAmount":
             {"amount": "-1.50", "currency": "EUR"}, "nested": {"x": [1, {"y": [[], {}]}]},
             "n": 12345678901234567890, "f": 1.25e-3, "t": True, "z": None},
            {"transactionId": "2", "remittanceInformationUnstructuredArray": ["}", "]", ","]},
            7, "str", [1, 2], -0.5, 1e5, False, None,
        ],
        "pending": [],
        "extra": {"a": 1},
    },
    "last_updated": "2025-03-14T10:00:00Z",
    "other": [1, 2, 3],
}


# -- decoder --------------------------------------------------------------------

def test_decoder_streams_items_and_yields_other_values_whole():
    data = json.dumps(DOCUMENT, indent=1, ensure_ascii=False).encode()
    found = reassemble(events(data))
    expected = json.loads(data, parse_float=Decimal)
    assert found["items"] == {BOOKED: expected["transactions"]["booked"]}
    assert found["values"] == {
        ("transactions", "extra"): {"a": 1},
        ("last_updated",): "2025-03-14T10:00:00Z",
        ("other",): [1, 2, 3],
    }
    assert found["objects"] == [(), ("transactions",)]
    assert isinstance(found["items"][BOOKED][0]["f"], Decimal)
    assert found["items"][BOOKED][0]["n"] == 12345678901234567890


@settings(max_examples=300, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=40),
       ascii_only=st.booleans(), indent=st.sampled_from([None, 0, 2]))
def test_decoder_chunk_boundaries_anywhere(cuts, ascii_only, indent):
    """Cut inside strings, escapes, multi-byte characters and numbers alike."""
    data = json.dumps(DOCUMENT, indent=indent, ensure_ascii=ascii_only).encode()
    assert reassemble(events(data, cuts=cuts)) == reassemble(events(data))


def test_decoder_one_byte_chunks():
    data = json.dumps(DOCUMENT, ensure_ascii=False).encode()
    found = list(iter_json_events([data[i:i + 1] for i in range(len(data))], PATHS))
    assert found == events(data)


def test_numbers_split_at_the_end_of_a_chunk_are_whole():
    data = b'{"transactions": {"booked": [123, 4.5e10, -7, 0.25]}}'
    for cut in range(len(data) + 1):
        found = events(data, cuts=[cut])
        assert [v for k, _p, v in found if k == "item"] == [
            123, Decimal("4.5e10"), -7, Decimal("0.25")]


def test_top_level_array_and_scalars():
    assert events(b" [1, {\"a\": 2}] ", {()}) == [("item", (), 1), ("item", (), {"a": 2})]
    assert events(b"[]", {()}) == []
    assert events(b'"x"', PATHS) == [("value", (), "x")]
    assert events(b"42", PATHS, cuts=[1]) == [("value", (), 42)]
    assert events(b'{"transactions": {"booked": null}}', PATHS)[-1] == (
        "value", BOOKED, None)
    assert events(b'{"transactions": []}', PATHS)[-1] == ("value", ("transactions",), [])
    assert events(b'\xef\xbb\xbf{"a": 1}', PATHS, cuts=[1, 2]) == [
        ("object", (), None), ("value", ("a",), 1)]


@pytest.mark.parametrize("data", [
    b"",
    b"   ",
    b'{"transactions": {"booked": [{"a": 1}',
    b'{"transactions": {"booked": [{"a": 1},',
    b'{"transactions": {"booked": [{"a": "unterminated',
    b'{"transactions": {"booked": [{"a": "\\u00',
    b'{"transactions": {"booked": [1, 2]}',
    b'{"transactions": {"booked": [1 2]}}',
    b'{"transactions": {"booked": [{"a": tru}]}}',
    b'{"transactions": {"booked": [{"a": 1}]}} trailing',
    b'{"transactions" {"booked": []}}',
    b'{transactions: 1}',
    b'{"a": 1,}',
    b'{"transactions": {"booked": ["\xff"]}}',
    b'{"transactions": {"booked": ["\xc3"]}}',
])
def test_malformed_or_truncated_documents_raise(data):
    for cuts in ([], [1], list(range(0, len(data), 3))):
        with pytest.raises(JsonStreamError) as info:
            events(data, cuts=cuts)
        assert 0 <= info.value.position <= len(data)


def test_error_position_is_in_the_whole_document():
    items = b", ".join(b'{"i": %d}' % i for i in range(2000))
    data = b'{"transactions": {"booked": [' + items + b', {"i": x}]}}'
    found = []
    with pytest.raises(JsonStreamError) as info:
        for event in iter_json_events(split(data, range(0, len(data), 512)), PATHS):
            found.append(event)
    assert len([e for e in found if e[0] == "item"]) == 2000  # yielded before the error
    assert abs(info.value.position - data.index(b"x}]}}")) <= 1


def test_a_malformed_value_fails_without_reading_the_rest():
    read = []

    def chunks():
        yield b'{"transactions": {"booked": [{"a": nope}, '
        for i in range(10_000):
            read.append(i)
            yield b'{"i": %d}, ' % i * 50
    with pytest.raises(JsonStreamError) as info:
        list(iter_json_events(chunks(), PATHS, max_value_chars=10_000))
    assert "longer than 10000" in str(info.value)
    assert len(read) * 500 < 4 * 10_000  # a bounded look-ahead, not the whole answer


# -- spool ----------------------------------------------------------------------

@pytest.mark.parametrize("run_size", [1, 3, 7, 1000])
def test_spool_sorts_stably_in_memory_or_on_disk(run_size):
    rng = random.Random(run_size)
    items = [(rng.randint(0, 20), n) for n in range(500)]
    with SortedSpool(run_size=run_size, block_size=4) as spool:
        for key, n in items:
            spool.add(key, {"n": n})
        assert len(spool) == 500
        assert spool.spilled_runs == (0 if run_size == 1000 else 500 // run_size)
        result = [record["n"] for record in spool]
    expected = [n for _key, n in sorted(items)]  # stable: ties in arrival order
    assert result == expected
    assert spool.spilled_runs == 0  # closed: file removed


# -- streamed transport -------------------------------------------------------------

@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(today=TODAY, account_daily_limit=None) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(request):
    if "sandbox" in request.fixturenames:
        server = request.getfixturevalue("sandbox")
        server.state.reset()
        server.set_today(TODAY)


def make_client(sandbox, **kwargs):
    sleeps = []
    transport = HttpTransport(timeout=(2, 2), max_retries=2, sleep=sleeps.append,
                              rng=random.Random(1), error_mapper=gocardless_error_mapper)
    client = GoCardlessClient(DEMO_SECRET_ID, DEMO_SECRET_KEY, base_url=sandbox.url,
                              transport=transport, clock=lambda: 1_000_000.0, **kwargs)
    client.sleeps = sleeps
    return client


def connected_account(client, sandbox, per_day=None, total=None):
    session = client.start_connection("SANDBOXFINANCE_SFIN0000", "https://odoo.example/cb",
                                      f"ref-{random.random()}")
    requests.post(session.url, data={"action": "authorise"}, allow_redirects=False,
                  timeout=5)
    account = client.complete_connection(session.id)[0]
    if per_day is not None or total is not None:
        sandbox.set_volume(account.id, per_day=per_day, total=total,
                           date_from=TODAY - timedelta(days=59) if total else None,
                           date_to=TODAY if total else None)
    return account


def test_streamed_request_hands_chunks_to_consume(sandbox):
    client = make_client(sandbox)
    account = connected_account(client, sandbox, per_day=20)
    sizes = []

    def consume(response):
        assert response.content is None
        data = b""
        for chunk in response.iter_chunks():
            sizes.append(len(chunk))
            data += chunk
        return json.loads(data)

    url = f"/api/v2/accounts/{account.id}/transactions/"
    response = client._call("GET", url, params={"date_from": "2025-01-01"}, consume=consume)
    assert response.status == 200 and response.reference
    assert len(response.result["transactions"]["booked"]) > 1000
    assert len(sizes) > 1 and max(sizes) <= 64 * 1024


def test_fetch_is_sorted_and_equals_the_whole_document_parse(sandbox):
    client = make_client(sandbox, page_size=100, spool_run_size=250)
    account = connected_account(client, sandbox, per_day=15)
    date_from = TODAY - timedelta(days=40)
    pages = list(client.fetch_transactions(account.id, date_from, TODAY))
    booked = [t for p in pages if not p.pending for t in p.transactions]
    pending = [t for p in pages if p.pending for t in p.transactions]
    assert pages[0].pending is False and pages[-1].pending is True
    assert max(len(p.transactions) for p in pages) == 100
    assert len(booked) > 600  # several runs spilled to disk
    assert [(t.date, t.id) for t in booked] == sorted((t.date, t.id) for t in booked)
    # The same transactions as a whole-document parse of the same answer.
    body = requests.get(
        f"{sandbox.url}/api/v2/accounts/{account.id}/transactions/",
        params={"date_from": date_from.isoformat(), "date_to": TODAY.isoformat()},
        headers={"Authorization": f"Bearer {client.access_token()}"}, timeout=5,
    ).json(parse_float=Decimal)
    whole = parse_transactions(body["transactions"]["booked"], pending=False)
    assert sorted(booked, key=lambda t: t.id) == sorted(whole, key=lambda t: t.id)
    assert [t.raw for t in sorted(booked, key=lambda t: t.id)] == [
        t.raw for t in sorted(whole, key=lambda t: t.id)]
    assert {t.id for t in pending} == {
        t.id for t in parse_transactions(body["transactions"]["pending"], pending=True)}
    assert pages[0].last_updated is not None


def test_possible_duplicates_flag_every_occurrence_across_runs(sandbox):
    client = make_client(sandbox, spool_run_size=7)
    session = client.start_connection("SBX_NORDBANK_NBBEBEBB", "https://odoo.example/cb",
                                      "ref-nordbank")
    requests.post(session.url, data={"action": "authorise"}, allow_redirects=False,
                  timeout=5)
    account = client.complete_connection(session.id)[0]
    window = (TODAY - timedelta(days=400), TODAY)
    streamed = [t for p in client.fetch_transactions(account.id, *window)
                for t in p.transactions if not t.pending]
    body = requests.get(
        f"{sandbox.url}/api/v2/accounts/{account.id}/transactions/",
        params={"date_from": window[0].isoformat(), "date_to": TODAY.isoformat()},
        headers={"Authorization": f"Bearer {client.access_token()}"}, timeout=5,
    ).json(parse_float=Decimal)
    whole = parse_transactions(body["transactions"]["booked"], pending=False)
    flagged = {t.id for t in whole if t.possible_duplicate}
    assert flagged and any(not i.endswith(("-2", "-3")) for i in flagged)  # first ones too
    assert {t.id for t in streamed if t.possible_duplicate} == flagged
    assert {t.id for t in streamed} == {t.id for t in whole}


def test_malformed_json_in_the_middle_raises_before_any_page(sandbox):
    client = make_client(sandbox, page_size=10)
    account = connected_account(client, sandbox, per_day=30)
    sandbox.inject_fault("malformed", path="/transactions/", after_bytes=300_000)
    pages = client.fetch_transactions(account.id, TODAY - timedelta(days=60), TODAY)
    with pytest.raises(InvalidResponseError) as info:
        next(pages)
    error = info.value
    assert error.code == "malformed_json" and "at character" in error.detail
    assert error.reference in {r["request_id"] for r in sandbox.requests_log}
    assert client.sleeps == []  # not retried: the bank would answer the same


def test_connection_cut_in_the_middle_is_retried_whole(sandbox):
    client = make_client(sandbox)
    account = connected_account(client, sandbox, per_day=30)
    window = (TODAY - timedelta(days=60), TODAY)
    expected = [t.id for p in client.fetch_transactions(account.id, *window)
                for t in p.transactions]
    sandbox.inject_fault("cut", path="/transactions/", after_bytes=200_000)
    got = [t.id for p in client.fetch_transactions(account.id, *window)
           for t in p.transactions]
    assert got == expected
    assert len(client.sleeps) == 1
    statuses = [r["fault"] for r in sandbox.requests_log if "/transactions/" in r["path"]]
    assert statuses == [None, "cut", None]


def test_connection_cut_every_time_becomes_unavailable(sandbox):
    client = make_client(sandbox)
    account = connected_account(client, sandbox, per_day=30)
    sandbox.inject_fault("cut", path="/transactions/", after_bytes=50_000, count=3)
    with pytest.raises(ProviderUnavailableError) as info:
        next(client.fetch_transactions(account.id, TODAY - timedelta(days=60), TODAY))
    assert info.value.code == "interrupted" and info.value.attempts == 3
    assert info.value.retryable


def test_ill_shaped_answers_are_refused(sandbox):
    from account_online_synchronization.providers.gocardless import _FetchedTransactions

    def read(data):
        fetched = _FetchedTransactions(10)
        try:
            fetched.load([data], "ref")
            return [t.id for t in fetched.booked] + [t.id for t in fetched.pending]
        finally:
            fetched.close()

    assert read(b'{"transactions": {}}') == []
    assert read(b'{"transactions": {"booked": null, "pending": []}}') == []
    for data in (b"[]", b"{}", b'{"transactions": []}',
                 b'{"transactions": {"booked": {}}}', b'{"transactions": {"booked": 3}}',
                 b'{"transactions": {"booked": [{"bookingDate": "2025-13-01"}]}}',
                 b'{"transactions": {"booked": [3]}}'):
        with pytest.raises(InvalidResponseError) as info:
            read(data)
        assert info.value.reference == "ref"
