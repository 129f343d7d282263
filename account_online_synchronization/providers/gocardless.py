"""GoCardless Bank Account Data (formerly Nordigen) API v2 client.

Endpoints used (all JSON, bearer token except the token calls)::

    POST   /api/v2/token/new/                 secret_id, secret_key -> tokens
    POST   /api/v2/token/refresh/             refresh -> access
    GET    /api/v2/institutions/?country=XX   banks of a country
    GET    /api/v2/institutions/{id}/
    POST   /api/v2/agreements/enduser/        end user agreement (EUA)
    GET    /api/v2/agreements/enduser/{id}/
    POST   /api/v2/requisitions/              -> link for the end user
    GET    /api/v2/requisitions/{id}/         status CR GC UA RJ SA GA LN EX
    DELETE /api/v2/requisitions/{id}/
    GET    /api/v2/accounts/{id}/             metadata (iban, status)
    GET    /api/v2/accounts/{id}/details/     currency, owner (daily quota)
    GET    /api/v2/accounts/{id}/balances/    (daily quota)
    GET    /api/v2/accounts/{id}/transactions/?date_from=&date_to= (daily quota)

Tokens
    :class:`TokenState` holds the access and refresh tokens with their expiry
    (epoch seconds). The caller persists ``client.token_state.to_dict()``
    (the ORM layer keeps it in a system-only field) and gives it back next
    time, so a cron does not ask for a new token on every run (token/new is
    limited to 100 calls an hour). An expired access token is refreshed; an
    expired refresh token is replaced by a new token pair. A 401 on a data
    call triggers one refresh and one retry, then :class:`AuthenticationError`.

Quotas
    Banks may allow only four calls a day per account and scope (details,
    balances, transactions). Every account call records its rate-limit headers
    (``HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_REMAINING`` and friends) in
    :attr:`GoCardlessClient.rate_limits` and in the returned page/report, so
    the caller can skip a call that would only fail. A spent bank quota raises
    :class:`RateLimitError` with ``daily_limit=True`` (not retried).

Consent
    An agreement lasts ``access_valid_for_days`` (at most what the bank
    allows, 90 days for most). Status ``EX`` or an "EUA expired" /
    ``AccessExpiredError`` answer raises :class:`ConsentExpiredError`.

Transaction ids
    ``transactionId`` is used when the bank gives one. Otherwise the id is
    ``"gch-"`` + a SHA-256 of bank-given fields only: booked/pending flag,
    booking and value dates, amount and currency, creditor/debtor names and
    accounts, remittance information, end-to-end id, entry reference and bank
    transaction codes. ``internalTransactionId`` is left out because GoCardless,
    not the bank, makes it. Identical transactions in one response (two equal
    coffees on one day) get ``-2``, ``-3``... suffixes in response order and
    are flagged ``possible_duplicate``. A pending transaction and its booked
    version have different ids: banks assign a new one at booking.
"""

import hashlib
import json
import logging
import re
import time
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from .base import (
    Balance,
    BalanceReport,
    ConsentSession,
    Institution,
    OnlineAccount,
    ProviderClient,
    RateLimitInfo,
    Txn,
    TxnPage,
)
from .exceptions import (
    AccessRevokedError,
    AuthenticationError,
    ConsentExpiredError,
    ConsentIncompleteError,
    InstitutionError,
    InvalidResponseError,
    ProviderError,
    RateLimitError,
)
from .jsonstream import JsonStreamError, iter_json_events
from .spool import SortedSpool
from .transport import HttpTransport, default_error_mapper, error_text, parse_retry_after

_logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bankaccountdata.gocardless.com"
ACCESS_SCOPE = ("balances", "details", "transactions")
TOKEN_MARGIN = 30  # seconds: renew slightly early to survive clock skew
PENDING_STATUSES = {"CR", "GC", "UA", "SA", "GA"}
# GoCardless publishes no flags for these two behaviours; the sandbox marks
# its institutions with these pseudo-features, the real API never sends them.
FEATURE_NO_AUTO_FETCH = "unattended_access_unsupported"
FEATURE_MANUAL_REFRESH = "manual_refresh_required"

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COUNTRY_RE = re.compile(r"[A-Za-z]{2}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")


@dataclass
class TokenState:
    """Access/refresh tokens with expiry as epoch seconds (persist it)."""

    access: str | None = None
    access_expires_at: float = 0.0
    refresh: str | None = None
    refresh_expires_at: float = 0.0

    def to_dict(self):
        """Return a JSON-serializable dict for storage."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        """Rebuild from :meth:`to_dict` output; None or {} gives an empty state."""
        data = data or {}
        return cls(
            access=data.get("access"),
            access_expires_at=float(data.get("access_expires_at") or 0),
            refresh=data.get("refresh"),
            refresh_expires_at=float(data.get("refresh_expires_at") or 0),
        )


def gocardless_error_mapper(status, payload, headers, reference):
    """Map a GoCardless error response to the addon's exceptions.

    Consent problems come as 401/403 with ``type`` ``AccessExpiredError``,
    ``AccountInactiveError`` or an "EUA ... expired" summary; they must not be
    confused with an invalid token (also 401), which the client refreshes.
    """
    summary, detail, kind = error_text(payload)
    text = " ".join(filter(None, (summary, detail))).lower()
    message = summary or f"HTTP {status}"
    common = {
        "reference": reference,
        "status": status,
        "detail": detail,
        "code": kind or summary or f"http_{status}",
    }
    expired = "expired" in text and any(
        word in text for word in ("eua", "agreement", "requisition")
    )
    if kind == "AccountInactiveError" or "suspended" in text:
        return AccessRevokedError(message, **common)
    if "revoked" in text and ("expired" not in text or kind == "AccessRevokedError"):
        return AccessRevokedError(message, **common)
    if kind == "AccessExpiredError" or expired:
        return ConsentExpiredError(message, **common)
    if kind == "InstitutionError":
        return InstitutionError(message, **common)
    if status == 429:
        daily = kind == "RateLimitError" or "daily request limit" in text
        retry_after = parse_retry_after(headers.get("Retry-After"))
        if retry_after is None and daily:
            retry_after = rate_limit_from_headers(headers).account_reset_seconds
        if retry_after is None:  # the generic reading ("try again in N seconds")
            retry_after = default_error_mapper(status, payload, headers, reference).retry_after
        return RateLimitError(
            message, retry_after=retry_after, daily_limit=daily, **common
        )
    return default_error_mapper(status, payload, headers, reference)


def rate_limit_from_headers(headers):
    """Return a :class:`RateLimitInfo` from every ``*RATELIMIT*`` header."""
    found = {}
    for name, value in (headers or {}).items():
        upper = name.upper().replace("-", "_")
        if "RATELIMIT" in upper:
            found[upper] = value
    return RateLimitInfo(headers=found)


class GoCardlessClient(ProviderClient):
    """Client of the GoCardless Bank Account Data API v2.

    :param secret_id: user secret id from the GoCardless portal.
    :param secret_key: user secret key (never logged).
    :param base_url: API root (the sandbox URL in tests and demos).
    :param token_state: :class:`TokenState` or its dict, as persisted.
    :param transport: an :class:`HttpTransport`; when omitted one is built
        from ``transport_options`` (``timeout``, ``max_retries``, ``sleep``...).
    :param clock: epoch-seconds function (tests move it to expire tokens).
    :param on_token_update: called with the new :class:`TokenState` whenever
        tokens change, so the caller can persist them at once.
    :param page_size: transactions per yielded :class:`TxnPage`.
    :param spool_run_size: transactions of one answer kept in memory before
        they are parked, sorted, in a temporary file.
    """

    code = "gocardless"

    def __init__(
        self,
        secret_id,
        secret_key,
        *,
        base_url=DEFAULT_BASE_URL,
        token_state=None,
        transport=None,
        transport_options=None,
        clock=time.time,
        on_token_update=None,
        page_size=500,
        spool_run_size=5000,
    ):
        self.secret_id = secret_id
        self._secret_key = secret_key
        self.base_url = base_url.rstrip("/")
        if isinstance(token_state, dict) or token_state is None:
            token_state = TokenState.from_dict(token_state)
        self.token_state = token_state
        self.transport = transport or HttpTransport(
            error_mapper=gocardless_error_mapper, **(transport_options or {})
        )
        self.clock = clock
        self.on_token_update = on_token_update
        self.page_size = page_size
        self.spool_run_size = spool_run_size
        #: last :class:`RateLimitInfo` per ``(account_id, scope)``
        self.rate_limits = {}

    def __repr__(self):
        return f"<GoCardlessClient {self.base_url} secret_id={self.secret_id!r}>"

    # -- tokens -------------------------------------------------------------

    def _store_tokens(self, **values):
        for key, value in values.items():
            setattr(self.token_state, key, value)
        if self.on_token_update:
            self.on_token_update(self.token_state)

    def _new_token(self):
        """POST /token/new/: a fresh access + refresh pair from the secrets."""
        payload = self._call(
            "POST",
            "/api/v2/token/new/",
            json={"secret_id": self.secret_id, "secret_key": self._secret_key},
            auth=False,
            idempotent=True,
        ).json()
        now = self.clock()
        self._store_tokens(
            access=_field(payload, "access", str, "token/new"),
            access_expires_at=now + _number(payload, "access_expires", "token/new"),
            refresh=_field(payload, "refresh", str, "token/new"),
            refresh_expires_at=now
            + _number(payload, "refresh_expires", "token/new"),
        )

    def _refresh_token(self):
        """POST /token/refresh/: a new access token from the refresh token."""
        payload = self._call(
            "POST",
            "/api/v2/token/refresh/",
            json={"refresh": self.token_state.refresh},
            auth=False,
            idempotent=True,
        ).json()
        self._store_tokens(
            access=_field(payload, "access", str, "token/refresh"),
            access_expires_at=self.clock()
            + _number(payload, "access_expires", "token/refresh"),
        )

    def access_token(self):
        """Return a valid access token, refreshing or renewing it if needed."""
        state = self.token_state
        now = self.clock()
        if state.access and state.access_expires_at > now + TOKEN_MARGIN:
            return state.access
        if state.refresh and state.refresh_expires_at > now + TOKEN_MARGIN:
            try:
                self._refresh_token()
                return state.access
            except AuthenticationError as error:
                _logger.info("Refresh token refused (%s), asking a new one",
                             error.reference)
        self._new_token()
        return state.access

    # -- HTTP ---------------------------------------------------------------

    def _call(self, method, path, *, json=None, params=None, auth=True,
              idempotent=None, consume=None):
        """Send one API call through the transport (the only network seam).

        With ``auth``, a 401 that is not a consent problem refreshes the
        token and retries once. ``consume`` streams the body (see
        :meth:`HttpTransport.request`).
        """
        url = f"{self.base_url}{path}"
        options = {"json": json, "params": params, "idempotent": idempotent}
        if consume is not None:
            options["consume"] = consume
        if not auth:
            return self.transport.request(method, url, **options)
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.access_token()}"}
            try:
                return self.transport.request(method, url, headers=headers, **options)
            except AuthenticationError:
                if attempt == 2:
                    raise
                # Force the next access_token() to refresh.
                self._store_tokens(access=None, access_expires_at=0.0)
        raise AssertionError("unreachable")

    def _account_call(self, account_id, scope, params=None, consume=None):
        path = f"/api/v2/accounts/{_path_id(account_id)}/"
        if scope != "metadata":
            path += f"{scope}/"
        try:
            response = self._call("GET", path, params=params, consume=consume)
        except ProviderError as error:
            if isinstance(error, RateLimitError) and error.daily_limit:
                self.rate_limits[(account_id, scope)] = RateLimitInfo(
                    {"HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_REMAINING": "0"}
                )
            raise
        limits = rate_limit_from_headers(response.headers)
        self.rate_limits[(account_id, scope)] = limits
        return response, limits

    # -- institutions -------------------------------------------------------

    def search_institutions(self, country, query=""):
        """GET /institutions/?country=XX, filtered locally on ``query``."""
        if not isinstance(country, str) or not _COUNTRY_RE.fullmatch(country):
            raise ValueError(f"Country must be two letters, got {country!r}")
        payload = self._call(
            "GET", "/api/v2/institutions/", params={"country": country.upper()}
        ).json()
        if not isinstance(payload, list):
            raise _shape("institutions", "a list")
        banks = [_institution(item, f"institutions[{i}]")
                 for i, item in enumerate(payload)]
        needle = (query or "").strip().lower()
        if needle:
            banks = [b for b in banks if needle in b.name.lower()
                     or needle in b.id.lower() or needle in b.bic.lower()]
        return banks

    def get_institution(self, institution_id):
        """GET /institutions/{id}/."""
        payload = self._call(
            "GET", f"/api/v2/institutions/{_path_id(institution_id)}/"
        ).json()
        return _institution(payload, "institution")

    # -- consent ------------------------------------------------------------

    def start_connection(self, institution_id, redirect_url, reference,
                         history_days=None, access_days=None, language=None):
        """Create an end user agreement and a requisition; return its link."""
        bank = self.get_institution(institution_id)
        history = _clamp(history_days, bank.transaction_total_days)
        access = _clamp(access_days, bank.max_access_valid_for_days)
        agreement = self._call("POST", "/api/v2/agreements/enduser/", json={
            "institution_id": institution_id,
            "max_historical_days": history,
            "access_valid_for_days": access,
            "access_scope": list(ACCESS_SCOPE),
        }).json()
        body = {
            "redirect": redirect_url,
            "institution_id": institution_id,
            "reference": reference,
            "agreement": _field(agreement, "id", str, "agreement"),
        }
        if language:
            body["user_language"] = language.upper()
        requisition = self._call("POST", "/api/v2/requisitions/", json=body).json()
        return ConsentSession(
            id=_field(requisition, "id", str, "requisition"),
            url=_field(requisition, "link", str, "requisition"),
            reference=reference,
            expires_at=datetime.now(timezone.utc) + timedelta(days=access),
            institution_id=institution_id,
            agreement_id=body["agreement"],
            history_days=history,
            access_days=access,
            status=str(requisition.get("status") or "CR"),
        )

    def _requisition(self, session_id):
        payload = self._call(
            "GET", f"/api/v2/requisitions/{_path_id(session_id)}/"
        ).json()
        _field(payload, "status", str, "requisition")
        accounts = payload.get("accounts") or []
        if not isinstance(accounts, list):
            raise _shape("requisition.accounts", "a list")
        return payload

    def get_connection(self, session_id):
        """GET the requisition and its agreement; expiry is accepted + days."""
        req = self._requisition(session_id)
        expires_at = None
        access_days = history_days = None
        agreement_id = req.get("agreement") or ""
        if agreement_id:
            agreement = self._call(
                "GET", f"/api/v2/agreements/enduser/{_path_id(agreement_id)}/"
            ).json()
            access_days = _int_or_none(agreement.get("access_valid_for_days"))
            history_days = _int_or_none(agreement.get("max_historical_days"))
            accepted = _datetime_or_none(agreement.get("accepted"), "agreement")
            if accepted and access_days:
                expires_at = accepted + timedelta(days=access_days)
        return ConsentSession(
            id=session_id,
            url=str(req.get("link") or ""),
            reference=str(req.get("reference") or ""),
            expires_at=expires_at,
            institution_id=str(req.get("institution_id") or ""),
            agreement_id=agreement_id,
            history_days=history_days,
            access_days=access_days,
            status=req["status"],
            account_ids=tuple(str(a) for a in req.get("accounts") or ()),
        )

    def complete_connection(self, session_id):
        """Check the requisition is linked (LN) and return its accounts."""
        req = self._requisition(session_id)
        status = req["status"]
        if status == "EX":
            raise ConsentExpiredError("The bank consent has expired", code="EX")
        if status == "RJ":
            raise ConsentIncompleteError(
                "The bank connection was rejected", code="RJ"
            )
        if status in PENDING_STATUSES:
            raise ConsentIncompleteError(
                f"The bank connection is not finished (status {status})",
                code=status, retryable=True,
            )
        if status != "LN":
            raise InvalidResponseError(
                f"Unknown requisition status {status!r}", code="status"
            )
        return self._accounts_of(req)

    def list_accounts(self, session_id):
        """Return the accounts of the requisition, with details."""
        return self._accounts_of(self._requisition(session_id))

    def _accounts_of(self, requisition):
        return [self.get_account(str(account_id))
                for account_id in requisition.get("accounts") or ()]

    def get_account(self, account_id, with_details=True):
        """GET account metadata, then details (currency, name, owner).

        Details use the bank's daily "details" quota; when it is spent the
        account is still returned from its metadata.
        """
        response, _limits = self._account_call(account_id, "metadata")
        meta = response.json()
        if not isinstance(meta, dict):
            raise _shape("account", "an object")
        details = {}
        if with_details:
            try:
                response, _limits = self._account_call(account_id, "details")
                details = response.json().get("account") or {}
            except RateLimitError as error:
                if not error.daily_limit:
                    raise
                _logger.info("Details quota spent for account %s", account_id)
        return OnlineAccount(
            id=str(meta.get("id") or account_id),
            name=str(details.get("name") or details.get("product")
                     or meta.get("name") or ""),
            iban=str(details.get("iban") or meta.get("iban") or "").replace(" ", ""),
            currency=str(details.get("currency") or meta.get("currency") or ""),
            owner=str(details.get("ownerName") or meta.get("owner_name") or ""),
            status=str(meta.get("status") or ""),
            institution_id=str(meta.get("institution_id") or ""),
            raw={"metadata": meta, "details": details},
        )

    def renew_connection(self, session_id, redirect_url, reference,
                         history_days=None, access_days=None, language=None):
        """Start a new consent for the bank of ``session_id`` (old one kept)."""
        req = self._requisition(session_id)
        return self.start_connection(
            _field(req, "institution_id", str, "requisition"),
            redirect_url, reference, history_days, access_days, language,
        )

    def revoke(self, session_id):
        """DELETE the requisition (its agreement goes with it); 404 is fine."""
        try:
            self._call("DELETE", f"/api/v2/requisitions/{_path_id(session_id)}/")
        except ProviderError as error:
            if error.status != 404:
                raise

    # -- data ---------------------------------------------------------------

    def fetch_balance(self, account_id):
        """GET /accounts/{id}/balances/."""
        response, limits = self._account_call(account_id, "balances")
        payload = response.json()
        items = payload.get("balances") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise _shape("balances", "a list", response.reference)
        balances = []
        for i, item in enumerate(items):
            where = f"balances[{i}]"
            money = _object(item, "balanceAmount", where)
            balances.append(Balance(
                amount=_amount(money.get("amount"), f"{where}.balanceAmount"),
                currency=_currency(money.get("currency"), where),
                balance_type=str(item.get("balanceType") or ""),
                reference_date=_date_or_none(item.get("referenceDate"),
                                             f"{where}.referenceDate"),
            ))
        return BalanceReport(account_id, tuple(balances), limits)

    def fetch_transactions(self, account_id, date_from=None, date_to=None):
        """GET /accounts/{id}/transactions/ and yield :class:`TxnPage` objects.

        GoCardless answers with the whole range in one JSON document (newest
        first for most banks). The body is streamed and decoded element by
        element (:mod:`.jsonstream`); every transaction is checked and parked
        in a :class:`~.spool.SortedSpool` (on disk past ``spool_run_size``),
        so memory stays flat whatever the range. Pages are yielded only once
        the whole answer was read and checked: a malformed, truncated or
        ill-shaped answer raises before the first page, the caller gets
        everything or nothing. A connection cut while reading is retried by
        the transport like any transient failure.

        Booked pages come first, in ascending ``(date, id)`` order, then the
        pending ones (ascending value date); ``possible_duplicate`` is known
        for every occurrence since the whole answer was seen.
        """
        params = {}
        if date_from:
            params["date_from"] = date_from.isoformat()
        if date_to:
            params["date_to"] = date_to.isoformat()
        response, limits = self._account_call(
            account_id, "transactions", params, consume=self._spool_transactions
        )
        fetched = response.result
        try:
            for pending, spool in ((False, fetched.booked), (True, fetched.pending)):
                page = []
                for txn in spool:
                    key = fetched.hash_keys.get(txn.id)
                    if key and fetched.seen[key] > 1:
                        txn = replace(txn, possible_duplicate=True)
                    page.append(txn)
                    if len(page) >= self.page_size:
                        yield self._page(account_id, page, pending, limits, fetched)
                        page = []
                if page:
                    yield self._page(account_id, page, pending, limits, fetched)
        finally:
            fetched.close()

    @staticmethod
    def _page(account_id, txns, pending, limits, fetched):
        return TxnPage(account_id=account_id, transactions=tuple(txns), pending=pending,
                       rate_limit=limits, last_updated=fetched.last_updated)

    def _spool_transactions(self, response):
        """Read a streamed transactions answer into sorted spools (see above)."""
        fetched = _FetchedTransactions(self.spool_run_size)
        try:
            fetched.load(response.iter_chunks(), response.reference)
        except BaseException:
            fetched.close()
            raise
        return fetched


class _FetchedTransactions:
    """The checked transactions of one answer, parked in date order.

    Ids made by hashing (banks without ``transactionId``) are counted over the
    whole answer: ``seen`` maps each hash to its occurrences, ``hash_keys``
    each such transaction id to its hash.
    """

    KINDS = {("transactions", "booked"): False, ("transactions", "pending"): True}

    def __init__(self, run_size):
        self.booked = SortedSpool(run_size)
        self.pending = SortedSpool(run_size)
        self.seen = {}
        self.hash_keys = {}
        self.last_updated = None

    def load(self, chunks, reference):
        """Decode, check and spool every transaction of the answer."""
        entered = set()
        counters = {False: 0, True: 0}
        try:
            for kind, path, value in iter_json_events(chunks, self.KINDS):
                if kind == "item":
                    pending = self.KINDS[path]
                    self._add(value, pending, counters[pending], reference)
                    counters[pending] += 1
                elif kind == "object":
                    entered.add(path)
                elif path == ("last_updated",):
                    self.last_updated = _datetime_or_none(value, "last_updated")
                elif path in self.KINDS and value is not None:
                    raise _shape("transactions.booked/pending", "a list", reference)
        except JsonStreamError as error:
            raise InvalidResponseError(
                "Malformed JSON from the provider (transactions)",
                reference=reference, code="malformed_json", detail=str(error)[:200],
            ) from error
        if ("transactions",) not in entered:
            raise _shape("transactions", "an object", reference)

    def _add(self, raw, pending, index, reference):
        values, key = _identified(raw, pending, index, reference, self.seen)
        if key:
            self.hash_keys[values["id"]] = key
        txn = Txn(**values)
        spool = self.pending if pending else self.booked
        spool.add((txn.date or date.min, txn.id), txn)

    def close(self):
        """Delete the spools' temporary files."""
        self.booked.close()
        self.pending.close()


# -- transaction parsing ------------------------------------------------------

def parse_transactions(items, *, pending, reference=None):
    """Turn GoCardless transaction dicts into :class:`Txn` (see module doc).

    :raises InvalidResponseError: naming the list and index of a bad entry.
    """
    parsed = []
    seen = {}
    for index, raw in enumerate(items):
        parsed.append(_identified(raw, pending, index, reference, seen))
    result = []
    for values, key in parsed:
        if key and seen[key] > 1:
            values["possible_duplicate"] = True
        result.append(Txn(**values))
    return result


def _identified(raw, pending, index, reference, seen):
    """``(values, key)`` of one transaction of an answer: its :class:`Txn` values and,
    when the bank gave no id, the generated id's key. Identical transactions of one
    answer share the key and get ids made unique by an occurrence number (``key-2``);
    ``seen`` counts them per key across the answer (one dict per answer)."""
    where = f"transactions.{'pending' if pending else 'booked'}[{index}]"
    try:
        values = _txn_values(raw, pending, where)
    except InvalidResponseError as error:
        error.reference = reference or error.reference
        raise
    key = None
    if not values["id"]:
        key = _hash_id(raw, pending)
        count = seen[key] = seen.get(key, 0) + 1
        values["id"] = key if count == 1 else f"{key}-{count}"
    return values, key


def _txn_values(raw, pending, where):
    if not isinstance(raw, dict):
        raise _shape(where, "an object")
    money = _object(raw, "transactionAmount", where)
    amount = _amount(money.get("amount"), f"{where}.transactionAmount.amount")
    currency = _currency(money.get("currency"), f"{where}.transactionAmount")
    booking = _date_or_none(raw.get("bookingDate"), f"{where}.bookingDate")
    value = _date_or_none(raw.get("valueDate"), f"{where}.valueDate")
    if not pending and not (booking or value):
        raise InvalidResponseError(
            f"{where}: booked transaction without bookingDate or valueDate",
            code="shape",
        )
    # Money out: the other party is the creditor; money in: the debtor.
    side = "creditor" if amount < 0 else "debtor"
    partner = str(raw.get(f"{side}Name") or "")
    account = _account_number(raw.get(f"{side}Account"))
    foreign_amount = exchange_rate = None
    foreign_currency = ""
    exchange = raw.get("currencyExchange")
    if isinstance(exchange, list):
        exchange = exchange[0] if exchange else None
    if isinstance(exchange, dict):
        instructed = exchange.get("instructedAmount")
        if isinstance(instructed, dict) and instructed.get("amount") is not None:
            foreign_amount = _amount(instructed["amount"],
                                     f"{where}.currencyExchange.instructedAmount")
            foreign_currency = str(instructed.get("currency") or "")
        foreign_currency = foreign_currency or str(exchange.get("sourceCurrency") or "")
        if exchange.get("exchangeRate") not in (None, ""):
            exchange_rate = _amount(exchange["exchangeRate"],
                                    f"{where}.currencyExchange.exchangeRate")
        if foreign_currency == currency:
            foreign_currency, foreign_amount = "", None
    label = _label(raw) or partner or str(raw.get("bankTransactionCode") or "")
    return {
        "id": str(raw.get("transactionId") or ""),
        "booking_date": booking,
        "value_date": value,
        "amount": amount,
        "currency": currency,
        "label": label,
        "partner_name": partner,
        "counterparty_account": account,
        "end_to_end_ref": _clean_ref(raw.get("endToEndId")),
        "bank_transaction_code": str(raw.get("bankTransactionCode")
                                     or raw.get("proprietaryBankTransactionCode")
                                     or ""),
        "foreign_amount": foreign_amount,
        "foreign_currency": foreign_currency,
        "exchange_rate": exchange_rate,
        "pending": pending,
        "raw": raw,
    }


_HASH_FIELDS = (
    "bookingDate", "valueDate", "endToEndId", "entryReference", "creditorName",
    "debtorName", "remittanceInformationUnstructured",
    "remittanceInformationUnstructuredArray", "remittanceInformationStructured",
    "bankTransactionCode", "proprietaryBankTransactionCode",
)


def _hash_id(raw, pending):
    money = raw.get("transactionAmount") or {}
    amount = Decimal(str(money.get("amount"))).normalize()
    parts = {
        "pending": pending,
        "amount": format(amount, "f"),
        "currency": money.get("currency"),
        "creditorAccount": _account_number(raw.get("creditorAccount")),
        "debtorAccount": _account_number(raw.get("debtorAccount")),
    }
    for name in _HASH_FIELDS:
        parts[name] = raw.get(name)
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=True)
    return "gch-" + hashlib.sha256(blob.encode()).hexdigest()[:32]


def _label(raw):
    text = raw.get("remittanceInformationUnstructured")
    if not text:
        parts = raw.get("remittanceInformationUnstructuredArray") or []
        if isinstance(parts, list):
            text = " ".join(str(p) for p in parts if p)
    if not text:
        text = raw.get("remittanceInformationStructured")
        if isinstance(text, list):
            text = " ".join(str(p) for p in text if p)
    if not text:
        text = raw.get("additionalInformation")
    return " ".join(str(text or "").split())


def _clean_ref(value):
    value = str(value or "").strip()
    return "" if value.upper() == "NOTPROVIDED" else value


def _account_number(value):
    if not isinstance(value, dict):
        return ""
    for key in ("iban", "bban", "maskedPan", "pan", "msisdn"):
        if value.get(key):
            return str(value[key]).replace(" ", "")
    return ""


# -- strict value helpers -----------------------------------------------------

def _shape(where, expected, reference=None):
    return InvalidResponseError(
        f"Unexpected response shape: {where} should be {expected}",
        code="shape", reference=reference,
    )


def _object(parent, key, where):
    value = parent.get(key)
    if not isinstance(value, dict):
        raise _shape(f"{where}.{key}", "an object")
    return value


def _field(payload, key, kind, where):
    value = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(value, kind) or value == "":
        raise _shape(f"{where}.{key}", kind.__name__)
    return value


def _number(payload, key, where):
    value = payload.get(key) if isinstance(payload, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _shape(f"{where}.{key}", "a number")
    return float(value)


def _amount(value, where):
    """Return a finite Decimal from a JSON string or number (never a float)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise _shape(where, "an amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise _shape(where, f"an amount, got {value!r}") from error
    if not amount.is_finite():
        raise _shape(where, f"a finite amount, got {value!r}")
    return amount


def _currency(value, where):
    if not isinstance(value, str) or not _CURRENCY_RE.fullmatch(value):
        raise _shape(f"{where}.currency", f"an ISO 4217 code, got {value!r}")
    return value


def _date_or_none(value, where):
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise _shape(where, f"a YYYY-MM-DD date, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise _shape(where, f"a real date, got {value!r}") from error


def _datetime_or_none(value, where):
    if value in (None, ""):
        return None
    try:
        result = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise _shape(where, f"an ISO datetime, got {value!r}") from error
    return result if result.tzinfo else result.replace(tzinfo=timezone.utc)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _clamp(wanted, maximum):
    if wanted is None:
        return maximum
    return max(1, min(int(wanted), maximum))


def _path_id(value):
    value = str(value)
    if not value or "/" in value or "?" in value or ".." in value:
        raise ValueError(f"Invalid provider id {value!r}")
    return value


def _institution(item, where):
    if not isinstance(item, dict):
        raise _shape(where, "an object")
    features = item.get("supported_features") or []
    countries = item.get("countries") or []
    return Institution(
        id=_field(item, "id", str, where),
        name=str(item.get("name") or item["id"]),
        bic=str(item.get("bic") or ""),
        countries=tuple(str(c) for c in countries),
        logo=str(item.get("logo") or ""),
        beta=bool(item.get("beta")),
        transaction_total_days=_int_or_none(item.get("transaction_total_days")) or 90,
        max_access_valid_for_days=_int_or_none(
            item.get("max_access_valid_for_days")) or 90,
        supports_auto_fetch=FEATURE_NO_AUTO_FETCH not in features,
        requires_manual_refresh=FEATURE_MANUAL_REFRESH in features,
    )
