"""GoCardless client and HTTP transport against the local sandbox (127.0.0.1).

Real HTTP, no internet. Transport timeouts are 0.2 s and sleeps are recorded,
not slept, so the suite stays fast.
"""

import itertools
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests

from account_online_synchronization.providers import GoCardlessClient, TokenState
from account_online_synchronization.providers.exceptions import (
    AccessRevokedError,
    AuthenticationError,
    ConsentExpiredError,
    ConsentIncompleteError,
    InstitutionError,
    InvalidResponseError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    ReconnectRequiredError,
)
from account_online_synchronization.providers.gocardless import (
    gocardless_error_mapper,
    parse_transactions,
)
from account_online_synchronization.providers.transport import (
    HttpTransport,
    parse_retry_after,
)
from account_online_synchronization.sandbox import (
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    start_sandbox,
)

TODAY = date(2025, 3, 14)
TIMEOUT = (0.2, 0.2)
MAIN_BANK = "SANDBOXFINANCE_SFIN0000"
_refs = itertools.count(1)


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(today=TODAY, account_daily_limit=None) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(sandbox):
    sandbox.state.reset()
    sandbox.set_today(TODAY)
    sandbox.state.account_daily_limit = None
    yield


class Sleeps(list):
    """Injected sleep: records waits instead of sleeping."""

    def __call__(self, seconds):
        self.append(seconds)


class RecordingSession(requests.Session):
    """A real session that remembers the timeout of every call."""

    def __init__(self):
        super().__init__()
        self.timeouts = []

    def request(self, method, url, **kwargs):
        self.timeouts.append(kwargs.get("timeout"))
        return super().request(method, url, **kwargs)


def make_client(sandbox, *, secret_key=DEMO_SECRET_KEY, clock=None, session=None,
                max_retries=2, max_retry_wait=30, token_state=None,
                on_token_update=None):
    sleeps = Sleeps()
    transport = HttpTransport(
        timeout=TIMEOUT, max_retries=max_retries, sleep=sleeps,
        rng=random.Random(7), session=session, max_retry_wait=max_retry_wait,
        error_mapper=gocardless_error_mapper,
    )
    client = GoCardlessClient(
        DEMO_SECRET_ID, secret_key, base_url=sandbox.url, transport=transport,
        clock=clock or (lambda: 1_000_000.0), token_state=token_state,
        on_token_update=on_token_update,
    )
    client.sleeps = sleeps
    return client


def authorise(session_url, accounts=None, action="authorise"):
    """Walk the consent page like a browser: GET the link, POST the form."""
    page = requests.get(session_url, timeout=5)
    assert page.status_code == 200
    assert 'id="sandbox-authorise"' in page.text and "Authorise" in page.text
    form = {"action": action}
    if accounts is not None:
        form["account"] = [str(a) for a in accounts]
    return requests.post(session_url, data=form, allow_redirects=False, timeout=5)


def connect(client, bank=MAIN_BANK, **kwargs):
    reference = f"ref-{next(_refs)}"
    session = client.start_connection(bank, "https://odoo.example/cb?x=1",
                                      reference, **kwargs)
    response = authorise(session.url)
    assert response.status_code == 302
    return session, client.complete_connection(session.id)


def count(sandbox, key):
    return sandbox.counters[key]


def all_txns(client, account_id, date_from, date_to):
    return [t for page in client.fetch_transactions(account_id, date_from, date_to)
            for t in page.transactions]


# -- tokens -------------------------------------------------------------------

def test_new_token_is_requested_once_and_reused(sandbox):
    updates = []
    client = make_client(sandbox, on_token_update=updates.append)
    client.search_institutions("BE")
    client.search_institutions("FR")
    assert count(sandbox, "POST /api/v2/token/new/") == 1
    assert client.token_state.access and client.token_state.refresh
    assert client.token_state.access_expires_at == 1_000_000.0 + 86400
    assert updates and updates[-1] is client.token_state
    restored = TokenState.from_dict(client.token_state.to_dict())
    assert restored == client.token_state


def test_bad_credentials_raise_authentication_error_without_retry(sandbox):
    client = make_client(sandbox, secret_key="wrong")
    with pytest.raises(AuthenticationError) as info:
        client.search_institutions("BE")
    assert info.value.message == "Authentication failed"
    assert "No active account" in info.value.detail
    assert info.value.status == 401 and info.value.reference
    assert count(sandbox, "POST /api/v2/token/new/") == 1
    assert client.sleeps == []


def test_expired_access_token_is_refreshed_not_renewed(sandbox):
    now = [1_000_000.0]
    client = make_client(sandbox, clock=lambda: now[0])
    client.search_institutions("BE")
    first = client.token_state.access
    now[0] += 86400  # past the access expiry, refresh still valid
    client.search_institutions("BE")
    assert count(sandbox, "POST /api/v2/token/refresh/") == 1
    assert count(sandbox, "POST /api/v2/token/new/") == 1
    assert client.token_state.access != first


def test_expired_refresh_token_gets_a_new_pair(sandbox):
    now = [1_000_000.0]
    client = make_client(sandbox, clock=lambda: now[0])
    client.search_institutions("BE")
    now[0] += 31 * 86400
    client.search_institutions("BE")
    assert count(sandbox, "POST /api/v2/token/refresh/") == 0
    assert count(sandbox, "POST /api/v2/token/new/") == 2


def test_server_side_expiry_refreshes_then_renews_and_retries(sandbox):
    client = make_client(sandbox)
    client.search_institutions("BE")
    response = requests.post(f"{sandbox.url}/_sandbox/tokens",
                             json={"expire": "all"}, timeout=5)
    assert response.json() == {"expired": "all"}
    banks = client.search_institutions("BE")  # 401, refresh 401, new, retry
    assert banks
    assert count(sandbox, "POST /api/v2/token/refresh/") == 1
    assert count(sandbox, "POST /api/v2/token/new/") == 2
    assert count(sandbox, "GET /api/v2/institutions/") == 3  # ok, 401, retry


def test_injected_expired_token_refreshes_once_then_gives_up(sandbox):
    client = make_client(sandbox)
    sandbox.inject_fault("token_expired", path="/institutions/", count=1)
    assert client.search_institutions("BE")
    assert count(sandbox, "POST /api/v2/token/refresh/") == 1
    sandbox.inject_fault("token_expired", path="/institutions/", count=2)
    with pytest.raises(AuthenticationError) as info:
        client.search_institutions("BE")
    assert info.value.message == "Invalid token"
    assert not isinstance(info.value, ReconnectRequiredError)


# -- institutions ---------------------------------------------------------------

def test_search_institutions_by_country_and_query(sandbox):
    client = make_client(sandbox)
    ids = {bank.id for bank in client.search_institutions("be")}
    assert ids == {MAIN_BANK, "SBX_NORDBANK_NBBEBEBB"}
    assert [b.id for b in client.search_institutions("BE", "nord")] == [
        "SBX_NORDBANK_NBBEBEBB"]
    assert [b.id for b in client.search_institutions("BE", "sfin0000")] == [MAIN_BANK]
    assert client.search_institutions("BE", "no such bank") == []
    with pytest.raises(ValueError):
        client.search_institutions("Belgium")


def test_institution_flags(sandbox):
    client = make_client(sandbox)
    beta = client.get_institution("SBX_BETABANQUE_BBFRFRPP")
    manual = client.get_institution("SBX_BANCOMANUAL_BMESESMM")
    mfa = client.get_institution("SBX_MFABANK_MFABGB2L")
    short = client.get_institution("SBX_BANCABREVE_BBITITMM")
    main = client.get_institution(MAIN_BANK)
    assert beta.beta and not main.beta
    assert not manual.supports_auto_fetch and main.supports_auto_fetch
    assert mfa.requires_manual_refresh and not main.requires_manual_refresh
    assert short.transaction_total_days == 90
    assert main.transaction_total_days == 730
    assert main.max_access_valid_for_days == 90
    assert main.countries[0] == "BE" and main.bic == "SFIN0000"


# -- consent ---------------------------------------------------------------------

def test_full_consent_flow_over_plain_http(sandbox):
    client = make_client(sandbox)
    session = client.start_connection(MAIN_BANK, "https://odoo.example/cb?x=1",
                                      "flow-1", history_days=5000, access_days=30)
    assert session.history_days == 730 and session.access_days == 30
    assert session.url.startswith(sandbox.url + "/psd2/start/")
    with pytest.raises(ConsentIncompleteError) as info:
        client.complete_connection(session.id)
    assert info.value.code == "CR" and info.value.retryable
    response = authorise(session.url, accounts=[1])
    assert response.status_code == 302
    assert response.headers["Location"] == "https://odoo.example/cb?x=1&ref=flow-1"
    accounts = client.complete_connection(session.id)
    assert [a.name for a in accounts] == ["Savings account"]
    account = accounts[0]
    assert account.currency == "EUR" and account.status == "READY"
    assert account.owner == "Sandbox Demo Company"
    assert _iban_ok(account.iban) and account.iban.startswith("BE")
    state = client.get_connection(session.id)
    assert state.status == "LN" and state.account_ids == (account.id,)
    assert state.expires_at.date() == TODAY + timedelta(days=30)
    assert client.list_accounts(session.id) == accounts
    # the link is single use
    assert requests.post(session.url, data={"action": "authorise"},
                         allow_redirects=False, timeout=5).status_code == 400


def test_cancelled_consent_is_rejected(sandbox):
    client = make_client(sandbox)
    session = client.start_connection(MAIN_BANK, "https://odoo.example/cb",
                                      "cancel-1")
    response = authorise(session.url, action="cancel")
    assert response.headers["Location"].startswith(
        "https://odoo.example/cb?ref=cancel-1&error=UserCancelledSession")
    with pytest.raises(ConsentIncompleteError) as info:
        client.complete_connection(session.id)
    assert info.value.code == "RJ" and not info.value.retryable


def test_short_history_bank_gets_clamped_agreement(sandbox):
    client = make_client(sandbox)
    session, accounts = connect(client, "SBX_BANCABREVE_BBITITMM",
                                history_days=400)
    assert session.history_days == 90
    assert accounts[0].iban.startswith("IT") and _iban_ok(accounts[0].iban)
    with pytest.raises(ProviderError) as info:
        all_txns(client, accounts[0].id, TODAY - timedelta(days=120), TODAY)
    assert info.value.status == 400 and not info.value.retryable
    assert "date_from" in info.value.code
    assert all_txns(client, accounts[0].id, TODAY - timedelta(days=90), TODAY)


def test_renew_gives_new_ids_same_ibans_then_revoke(sandbox):
    client = make_client(sandbox)
    old, old_accounts = connect(client, "SBX_HAUSBANK_HBDEDEFF")
    new = client.renew_connection(old.id, "https://odoo.example/cb", "renew-1")
    assert new.id != old.id and new.institution_id == "SBX_HAUSBANK_HBDEDEFF"
    authorise(new.url)
    new_accounts = client.complete_connection(new.id)
    assert {a.iban for a in new_accounts} == {a.iban for a in old_accounts}
    assert not {a.id for a in new_accounts} & {a.id for a in old_accounts}
    assert {a.currency for a in new_accounts} == {"EUR", "USD"}
    # transactions follow the bank account, not the consent
    old_txns = all_txns(client, old_accounts[0].id, TODAY - timedelta(days=10),
                        TODAY)
    new_txns = all_txns(client, new_accounts[0].id, TODAY - timedelta(days=10),
                        TODAY)
    assert [t.id for t in old_txns] == [t.id for t in new_txns] != []
    client.revoke(old.id)
    client.revoke(old.id)  # idempotent
    with pytest.raises(ProviderError) as info:
        client.get_connection(old.id)
    assert info.value.status == 404


def test_post_is_not_retried_on_500(sandbox):
    client = make_client(sandbox)
    client.get_institution(MAIN_BANK)
    sandbox.inject_fault("500", path="/agreements/enduser/", method="POST", count=1)
    with pytest.raises(ProviderUnavailableError) as info:
        client.start_connection(MAIN_BANK, "https://odoo.example/cb", "post-500")
    assert info.value.attempts == 1 and client.sleeps == []
    assert count(sandbox, "POST /api/v2/agreements/enduser/") == 1


# -- transactions and balances -----------------------------------------------------

def test_transactions_booked_and_pending(sandbox):
    client = make_client(sandbox)
    _session, accounts = connect(client)
    account_id = accounts[0].id
    date_from = TODAY - timedelta(days=30)
    pages = list(client.fetch_transactions(account_id, date_from, TODAY))
    booked = [t for p in pages if not p.pending for t in p.transactions]
    pending = [t for p in pages if p.pending for t in p.transactions]
    assert booked and pending
    assert all(not t.pending and date_from <= t.booking_date <= TODAY
               for t in booked)
    assert all(t.pending and t.booking_date is None and t.id.endswith("-P")
               for t in pending)
    assert all(TODAY - timedelta(days=1) <= t.value_date <= TODAY for t in pending)
    for txn in booked + pending:
        assert isinstance(txn.amount, Decimal)
        assert txn.amount.as_tuple().exponent == -2
        assert txn.currency == "EUR" and txn.label
    assert len({t.id for t in booked + pending}) == len(booked) + len(pending)
    incoming = [t for t in booked if t.amount > 0]
    assert incoming and all(t.partner_name and _iban_ok(t.counterparty_account)
                            for t in incoming)
    fx = [t for t in booked if t.foreign_currency]
    for txn in fx:
        assert txn.foreign_currency == "USD" and txn.foreign_amount < 0
    again = all_txns(client, account_id, date_from, TODAY)
    assert [(t.id, t.amount) for t in again] == [(t.id, t.amount)
                                                  for t in booked + pending]


def test_pending_becomes_booked_with_a_new_id(sandbox):
    client = make_client(sandbox)
    _session, accounts = connect(client)
    account_id = accounts[0].id
    window = (TODAY - timedelta(days=5), TODAY + timedelta(days=5))
    before = all_txns(client, account_id, *window)
    pending = [t for t in before if t.pending]
    assert pending
    sandbox.set_today(advance_days=2)
    after = all_txns(client, account_id, *window)
    after_ids = {t.id for t in after}
    for txn in pending:
        assert txn.id not in after_ids
        matches = [t for t in after if not t.pending and t.value_date == txn.value_date
                   and t.amount == txn.amount and t.label == txn.label]
        assert len(matches) == 1
        assert matches[0].booking_date == txn.value_date + timedelta(days=2)
        assert matches[0].id == txn.id[:-2]


def test_bank_without_transaction_ids_gets_stable_hash_ids(sandbox):
    client = make_client(sandbox)
    _session, accounts = connect(client, "SBX_NORDBANK_NBBEBEBB")
    window = (TODAY - timedelta(days=400), TODAY)
    first = all_txns(client, accounts[0].id, *window)
    second = all_txns(client, accounts[0].id, *window)
    assert first and all(t.id.startswith("gch-") for t in first)
    assert [t.id for t in first] == [t.id for t in second]
    assert len({t.id for t in first}) == len(first)
    duplicates = [t for t in first if t.possible_duplicate]
    assert duplicates and any(t.id.endswith("-2") for t in duplicates)


def test_balances_match_the_transactions(sandbox):
    client = make_client(sandbox)
    _session, accounts = connect(client)
    account_id = accounts[0].id
    report = client.fetch_balance(account_id)
    by_type = {b.balance_type: b for b in report.balances}
    assert report.preferred() is by_type["closingBooked"]
    assert by_type["closingBooked"].reference_date == TODAY - timedelta(days=1)
    booked_today = [t for t in all_txns(client, account_id, TODAY, TODAY)
                    if not t.pending]
    delta = by_type["interimBooked"].amount - by_type["closingBooked"].amount
    assert delta == sum((t.amount for t in booked_today), Decimal(0))


def test_daily_quota_headers_and_exhaustion(sandbox):
    client = make_client(sandbox)
    _session, accounts = connect(client)
    account_id = accounts[0].id
    requests.post(f"{sandbox.url}/_sandbox/limits", json={"account_daily": 4},
                  timeout=5)
    remaining = [client.fetch_balance(account_id).rate_limit.account_remaining
                 for _ in range(4)]
    assert remaining == [3, 2, 1, 0]
    limits = client.rate_limits[(account_id, "balances")]
    assert limits.account_limit == 4 and limits.account_remaining == 0
    assert 0 < limits.account_reset_seconds <= 86400
    with pytest.raises(RateLimitError) as info:
        client.fetch_balance(account_id)
    assert info.value.daily_limit and not info.value.retryable
    assert 0 < info.value.retry_after <= 86400
    assert client.sleeps == []  # a bank quota is never waited for
    page = next(client.fetch_transactions(account_id, TODAY, TODAY))
    assert page.rate_limit.account_remaining == 3  # other scope, own quota
    sandbox.set_today(advance_days=1)
    assert client.fetch_balance(account_id).rate_limit.account_remaining == 3


def test_large_volume_is_served_whole(sandbox):
    client = make_client(sandbox)
    _session, accounts = connect(client)
    account_id = accounts[0].id
    response = requests.post(f"{sandbox.url}/_sandbox/volume", json={
        "account": account_id, "total": 20000,
        "date_from": "2025-01-01", "date_to": "2025-02-28"}, timeout=5)
    assert response.json()["volume"]["total"] == 20000
    client.page_size = 1000
    pages = list(client.fetch_transactions(account_id, date(2025, 1, 1),
                                           date(2025, 3, 2)))
    assert max(len(p.transactions) for p in pages) == 1000
    start, end = date(2025, 1, 1), date(2025, 2, 28)
    valued = [t for p in pages for t in p.transactions
              if not t.pending and start <= t.value_date <= end]
    assert len(valued) == 20000
    assert len({t.id for t in valued}) == 20000


# -- faults -----------------------------------------------------------------------

def test_timeout_retries_then_unavailable_with_reference(sandbox):
    client = make_client(sandbox, max_retries=2)
    client.search_institutions("BE")
    sandbox.inject_fault("timeout", path="/institutions/", count=3, delay=1.0)
    with pytest.raises(ProviderUnavailableError) as info:
        client.search_institutions("BE")
    error = info.value
    assert error.code == "timeout" and error.attempts == 3 and error.retryable
    assert len(client.sleeps) == 2 and client.sleeps[1] > client.sleeps[0] * 0.9
    seen = {r["request_id"] for r in sandbox.requests_log if r["fault"] == "timeout"}
    assert seen == {error.reference}  # the same id on every attempt
    assert error.reference in str(error)


def test_500_then_success_on_retry(sandbox):
    client = make_client(sandbox)
    _session, accounts = connect(client)
    sandbox.inject_fault("500", path="/transactions/", count=1)
    assert all_txns(client, accounts[0].id, TODAY - timedelta(days=3), TODAY)
    assert len(client.sleeps) == 1 and 0 < client.sleeps[0] <= 0.5
    statuses = [r["status"] for r in sandbox.requests_log
                if r["path"].endswith("/transactions/")]
    assert statuses == [500, 200]


def test_persistent_503_becomes_unavailable(sandbox):
    client = make_client(sandbox, max_retries=2)
    client.search_institutions("BE")
    sandbox.inject_fault("503", path="/institutions/", count=5)
    with pytest.raises(ProviderUnavailableError) as info:
        client.search_institutions("BE")
    assert info.value.status == 503 and info.value.attempts == 3


@pytest.mark.parametrize("fmt", ["seconds", "http-date"])
def test_429_honours_retry_after(sandbox, fmt):
    client = make_client(sandbox)
    client.search_institutions("BE")
    sandbox.inject_fault("429", path="/institutions/", count=1, retry_after=3,
                         retry_after_format=fmt)
    assert client.search_institutions("BE")
    assert len(client.sleeps) == 1
    if fmt == "seconds":
        assert client.sleeps == [3.0]
    else:
        assert 1.0 < client.sleeps[0] <= 3.0


def test_429_with_too_long_retry_after_raises_at_once(sandbox):
    client = make_client(sandbox, max_retry_wait=10)
    client.search_institutions("BE")
    sandbox.inject_fault("429", path="/institutions/", count=1, retry_after=600)
    with pytest.raises(RateLimitError) as info:
        client.search_institutions("BE")
    assert info.value.retry_after == 600 and not info.value.daily_limit
    assert client.sleeps == []


def test_dropped_connection_is_retried(sandbox):
    client = make_client(sandbox)
    client.search_institutions("BE")
    sandbox.inject_fault("drop", path="/institutions/", count=1)
    assert client.search_institutions("BE")
    assert len(client.sleeps) == 1


def test_malformed_json_raises_invalid_response(sandbox):
    client = make_client(sandbox)
    _session, accounts = connect(client)
    sandbox.inject_fault("malformed", path="/transactions/", count=1)
    with pytest.raises(InvalidResponseError) as info:
        all_txns(client, accounts[0].id, TODAY, TODAY)
    assert info.value.code == "malformed_json" and info.value.reference


def test_consent_expired_fault_and_clock(sandbox):
    client = make_client(sandbox)
    session, accounts = connect(client, access_days=30)
    sandbox.inject_fault("consent_expired", path="/transactions/", count=1)
    with pytest.raises(ConsentExpiredError) as info:
        all_txns(client, accounts[0].id, TODAY, TODAY)
    assert isinstance(info.value, ReconnectRequiredError)
    assert count(sandbox, "POST /api/v2/token/refresh/") == 0  # not a token issue
    assert all_txns(client, accounts[0].id, TODAY, TODAY) is not None
    sandbox.set_today(TODAY + timedelta(days=30))
    with pytest.raises(ConsentExpiredError):
        all_txns(client, accounts[0].id, TODAY, TODAY)
    with pytest.raises(ConsentExpiredError):
        client.complete_connection(session.id)
    assert client.get_connection(session.id).status == "EX"


def test_revoked_access(sandbox):
    client = make_client(sandbox)
    _session, accounts = connect(client)
    sandbox.inject_fault("revoked", path="/balances/", count=1)
    with pytest.raises(AccessRevokedError) as info:
        client.fetch_balance(accounts[0].id)
    assert isinstance(info.value, ReconnectRequiredError)
    assert not isinstance(info.value, ConsentExpiredError)


def test_institution_refusing_unattended_access_answers_the_user(sandbox):
    """Banco Manual only says it wants no scheduled fetching (the addon's cron
    skips it); a fetch the user starts is answered."""
    client = make_client(sandbox)
    assert not client.get_institution("SBX_BANCOMANUAL_BMESESMM").supports_auto_fetch
    _session, accounts = connect(client, "SBX_BANCOMANUAL_BMESESMM")
    booked = all_txns(client, accounts[0].id, TODAY - timedelta(days=30), TODAY)
    assert booked
    assert client.fetch_balance(accounts[0].id).balances


def test_mfa_bank_needs_a_new_consent_each_day(sandbox):
    client = make_client(sandbox)
    session, accounts = connect(client, "SBX_MFABANK_MFABGB2L")
    assert accounts[0].currency == "GBP" and accounts[0].iban.startswith("GB")
    assert client.fetch_balance(accounts[0].id).balances
    sandbox.set_today(advance_days=1)
    with pytest.raises(InstitutionError) as info:
        client.fetch_balance(accounts[0].id)
    assert "authentication" in info.value.message.lower()
    renewed = client.renew_connection(session.id, "https://odoo.example/cb",
                                      f"mfa-{next(_refs)}")
    authorise(renewed.url)
    new_accounts = client.complete_connection(renewed.id)
    assert new_accounts[0].iban == accounts[0].iban
    assert client.fetch_balance(new_accounts[0].id).balances


def test_timeout_is_applied_to_every_call(sandbox):
    session = RecordingSession()
    client = make_client(sandbox, session=session)
    _s, accounts = connect(client)
    all_txns(client, accounts[0].id, TODAY - timedelta(days=2), TODAY)
    client.fetch_balance(accounts[0].id)
    sandbox.inject_fault("500", path="/balances/", count=1)
    client.fetch_balance(accounts[0].id)
    assert len(session.timeouts) >= 12
    assert set(session.timeouts) == {TIMEOUT}


# -- pure units --------------------------------------------------------------------

def _raw(**extra):
    txn = {"bookingDate": "2025-03-01", "valueDate": "2025-03-01",
           "transactionAmount": {"amount": "-4.50", "currency": "EUR"},
           "creditorName": "CAFE", "remittanceInformationUnstructured": "coffee"}
    txn.update(extra)
    return txn


def test_hash_id_ignores_gocardless_internal_id_and_flags_duplicates():
    one = parse_transactions([_raw(internalTransactionId="a")], pending=False)
    two = parse_transactions([_raw(internalTransactionId="b")], pending=False)
    assert one[0].id == two[0].id and one[0].id.startswith("gch-")
    pair = parse_transactions([_raw(), _raw()], pending=False)
    assert pair[0].id == one[0].id and pair[1].id == one[0].id + "-2"
    assert all(t.possible_duplicate for t in pair)
    other = parse_transactions([_raw(remittanceInformationUnstructured="tea")],
                               pending=False)
    assert other[0].id != one[0].id and not other[0].possible_duplicate
    pending = parse_transactions([_raw()], pending=True)
    assert pending[0].id != one[0].id


def test_strict_parsing_names_the_bad_entry():
    with pytest.raises(InvalidResponseError, match=r"booked\[1\]\.bookingDate"):
        parse_transactions([_raw(), _raw(bookingDate="2025-02-31")], pending=False)
    with pytest.raises(InvalidResponseError, match=r"booked\[0\]\.transactionAmount"):
        parse_transactions([_raw(transactionAmount={"amount": "abc",
                                                    "currency": "EUR"})],
                           pending=False)
    with pytest.raises(InvalidResponseError, match="currency"):
        parse_transactions([_raw(transactionAmount={"amount": "1",
                                                    "currency": "euro"})],
                           pending=False)


def test_partner_side_and_foreign_amount():
    txn = parse_transactions([_raw(
        transactionAmount={"amount": "100.00", "currency": "EUR"},
        debtorName="Customer", debtorAccount={"iban": "BE68 5390 0754 7034"},
        endToEndId="NOTPROVIDED",
        currencyExchange=[{"sourceCurrency": "USD", "exchangeRate": "1.0850",
                           "instructedAmount": {"amount": "108.50",
                                                "currency": "USD"}}],
    )], pending=False)[0]
    assert txn.partner_name == "Customer"
    assert txn.counterparty_account == "BE68539007547034"
    assert txn.end_to_end_ref == ""
    assert txn.foreign_amount == Decimal("108.50") and txn.foreign_currency == "USD"
    assert txn.exchange_rate == Decimal("1.0850")


def test_error_mapper_tells_token_from_consent():
    headers = {}
    token = gocardless_error_mapper(401, {"summary": "Invalid token",
                                          "detail": "Token is invalid or expired"},
                                    headers, "r1")
    assert type(token) is AuthenticationError
    ambiguous = gocardless_error_mapper(
        401, {"summary": "Access expired", "type": "AccessExpiredError",
              "detail": "Access has expired or it has been revoked"}, headers, "r2")
    assert type(ambiguous) is ConsentExpiredError
    inactive = gocardless_error_mapper(
        401, {"summary": "Account inactive", "type": "AccountInactiveError"},
        headers, "r3")
    assert type(inactive) is AccessRevokedError
    field = gocardless_error_mapper(
        400, {"date_to": {"summary": "Invalid date", "detail": "bad"}}, headers, "r4")
    assert field.message == "date_to: Invalid date" and field.detail == "bad"


def test_parse_retry_after():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_and_is_capped():
    transport = HttpTransport(backoff_base=1.0, backoff_max=8.0,
                              rng=random.Random(3))
    waits = [transport.backoff(n) for n in range(1, 7)]
    for attempt, wait in enumerate(waits, start=1):
        cap = min(8.0, 2 ** (attempt - 1))
        assert cap / 2 <= wait <= cap


def _iban_ok(iban):
    if len(iban) < 15 or not iban[:2].isalpha():
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1
