"""Provider-neutral data shapes and the contract every provider client follows.

The ORM layer only talks to :class:`ProviderClient` and these dataclasses;
a new provider is one module implementing the abstract methods. Amounts are
``Decimal``, days are ``date``; nothing here imports ``odoo`` or ``requests``.

Typical life of a connection, as the ORM layer drives it::

    client = GoCardlessClient(secret_id, secret_key, token_state=saved)
    banks = client.search_institutions("BE", "kbc")
    session = client.start_connection(bank.id, callback_url, reference)
    # ... redirect the user to session.url; the bank redirects back to
    # callback_url?ref=<reference> ...
    accounts = client.complete_connection(session.id)
    for page in client.fetch_transactions(accounts[0].id, date_from, date_to):
        ...  # page.transactions: list[Txn] (booked and pending)
    saved = client.token_state.to_dict()  # persist (system-only field)

Renewal (consent about to expire, or ReconnectRequiredError): call
:meth:`ProviderClient.renew_connection`, send the user to the new URL, then
``complete_connection`` on the new session. Providers usually give NEW account
ids under a new consent: the caller re-matches them to its journals by IBAN,
then revokes the old session.
"""

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .transport import HttpTransport  # noqa: F401  (re-exported seam)


@dataclass(frozen=True)
class Institution:
    """A bank as offered by the provider.

    :ivar transaction_total_days: history depth the bank gives, in days.
    :ivar max_access_valid_for_days: longest consent the bank accepts.
    :ivar supports_auto_fetch: False when the bank only answers while the end
        user is present (no unattended cron synchronization).
    :ivar requires_manual_refresh: True when the bank asks the end user for a
        new strong authentication (MFA) before data can be refreshed.
    """

    id: str
    name: str
    bic: str = ""
    countries: tuple = ()
    logo: str = ""
    beta: bool = False
    transaction_total_days: int = 90
    max_access_valid_for_days: int = 90
    supports_auto_fetch: bool = True
    requires_manual_refresh: bool = False


@dataclass(frozen=True)
class ConsentSession:
    """One consent (GoCardless: a requisition and its agreement).

    :ivar id: provider id to keep (``complete_connection``, ``revoke``).
    :ivar url: where to send the end user's browser.
    :ivar reference: the caller's reference, echoed on the callback as ``ref``.
    :ivar expires_at: when the access ends, at the latest (None if unknown).
    :ivar status: provider status code (GoCardless ``CR`` .. ``EX``).
    :ivar account_ids: provider account ids linked so far.
    """

    id: str
    url: str
    reference: str
    expires_at: datetime | None = None
    institution_id: str = ""
    agreement_id: str = ""
    history_days: int | None = None
    access_days: int | None = None
    status: str = ""
    account_ids: tuple = ()


@dataclass(frozen=True)
class OnlineAccount:
    """A bank account reachable through a consent.

    ``id`` may change when the consent is renewed; ``iban`` does not, so it is
    the key to re-match accounts to journals.
    """

    id: str
    name: str = ""
    iban: str = ""
    currency: str = ""
    owner: str = ""
    status: str = ""
    institution_id: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class RateLimitInfo:
    """Rate-limit headers of one response, so callers avoid wasting calls.

    Banks may allow as few as four calls a day per account and scope
    (details, balances, transactions). ``headers`` keeps every
    ``*ratelimit*`` header as sent (upper-cased names); the properties read
    the account-level ("success") quota when present, else the general one.
    """

    headers: dict = field(default_factory=dict)

    def _find(self, *needles):
        for name, value in self.headers.items():
            if all(n in name for n in needles):
                try:
                    return int(str(value).strip())
                except ValueError:
                    return None
        return None

    @property
    def account_remaining(self):
        """Calls left today for this account and scope, or None if unknown."""
        return self._find("ACCOUNT_SUCCESS", "REMAINING")

    @property
    def account_limit(self):
        """Daily calls allowed for this account and scope, or None."""
        return self._find("ACCOUNT_SUCCESS", "LIMIT")

    @property
    def account_reset_seconds(self):
        """Seconds until the account quota resets, or None."""
        return self._find("ACCOUNT_SUCCESS", "RESET")

    @property
    def remaining(self):
        """Calls left in the provider's general window, or None."""
        for name, value in self.headers.items():
            if "ACCOUNT" not in name and name.endswith("REMAINING"):
                try:
                    return int(str(value).strip())
                except ValueError:
                    return None
        return None


@dataclass(frozen=True)
class Balance:
    """One balance reported by the bank (``balance_type`` as the bank names it,
    e.g. ``closingBooked``, ``interimAvailable``, ``expected``)."""

    amount: Decimal
    currency: str
    balance_type: str = ""
    reference_date: date | None = None


@dataclass(frozen=True)
class BalanceReport:
    """Balances of one account plus the rate-limit state of that call."""

    account_id: str
    balances: tuple = ()
    rate_limit: RateLimitInfo = field(default_factory=RateLimitInfo)

    PREFERENCE = ("closingBooked", "interimBooked", "expected", "interimAvailable")

    def preferred(self):
        """Return the most "booked" balance available, or None."""
        by_type = {b.balance_type: b for b in self.balances}
        for kind in self.PREFERENCE:
            if kind in by_type:
                return by_type[kind]
        return self.balances[0] if self.balances else None


@dataclass(frozen=True)
class Txn:
    """One bank transaction, normalized.

    :ivar id: stable unique id within the account. The bank's transaction id
        when given; otherwise a hash of bank-given fields (see the provider
        module). A pending transaction usually gets a NEW id once booked, so
        callers must not make pending lines permanent.
    :ivar amount: signed amount in ``currency`` (negative = money out).
    :ivar foreign_amount: amount in the original currency when converted.
    :ivar partner_name: the other party (creditor when paying, debtor when
        receiving).
    :ivar counterparty_account: the other party's IBAN (or other account id).
    :ivar pending: True for not-yet-booked transactions.
    :ivar possible_duplicate: True when the bank gave no id and another
        transaction of the same response had the very same fields; the id is
        then made unique with an occurrence number.
    :ivar raw: the provider's transaction dict, untouched.
    """

    id: str
    booking_date: date | None
    value_date: date | None
    amount: Decimal
    currency: str
    label: str = ""
    partner_name: str = ""
    counterparty_account: str = ""
    end_to_end_ref: str = ""
    bank_transaction_code: str = ""
    foreign_amount: Decimal | None = None
    foreign_currency: str = ""
    exchange_rate: Decimal | None = None
    pending: bool = False
    possible_duplicate: bool = False
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def date(self):
        """Accounting date: the booking date, else the value date."""
        return self.booking_date or self.value_date


@dataclass(frozen=True)
class TxnPage:
    """A slice of the transactions of one fetch.

    Booked transactions come first (oldest first), then pending ones; each
    page holds one kind only (``pending`` says which). ``rate_limit`` and ``last_updated``
    are those of the single HTTP response the page came from.
    """

    account_id: str
    transactions: tuple
    pending: bool = False
    rate_limit: RateLimitInfo = field(default_factory=RateLimitInfo)
    last_updated: datetime | None = None


class ProviderClient(abc.ABC):
    """Contract of an online bank-data provider client.

    Implementations are plain Python (no ``odoo``), do all HTTP through one
    :class:`HttpTransport`, and raise only :mod:`.exceptions` classes.
    ``code`` names the provider (``"gocardless"``); the ORM layer prefixes its
    provider-specific fields and methods with it.
    """

    code = ""

    @abc.abstractmethod
    def search_institutions(self, country, query="") -> list[Institution]:
        """Return the banks of ``country`` (ISO 3166 alpha-2) whose name, id
        or BIC contains ``query`` (case-insensitive; empty = all)."""

    @abc.abstractmethod
    def get_institution(self, institution_id) -> Institution:
        """Return one bank by provider id."""

    @abc.abstractmethod
    def start_connection(
        self,
        institution_id,
        redirect_url,
        reference,
        history_days=None,
        access_days=None,
        language=None,
    ) -> ConsentSession:
        """Create a consent and return where to send the user.

        ``history_days`` / ``access_days`` are clamped to the bank's maxima
        (None = the maximum). The provider redirects the browser to
        ``redirect_url`` with ``?ref=<reference>`` when the user is done.
        ``reference`` must be unique per consent.
        """

    @abc.abstractmethod
    def get_connection(self, session_id) -> ConsentSession:
        """Return the current state of a consent (status, accounts, expiry)."""

    @abc.abstractmethod
    def complete_connection(self, session_id) -> list[OnlineAccount]:
        """After the callback: check the consent is granted, return accounts.

        :raises ConsentIncompleteError: not finished yet, or rejected.
        :raises ConsentExpiredError: the consent already expired.
        """

    @abc.abstractmethod
    def list_accounts(self, session_id) -> list[OnlineAccount]:
        """Return the accounts of a granted consent (with IBAN and currency)."""

    @abc.abstractmethod
    def fetch_transactions(
        self, account_id, date_from=None, date_to=None
    ) -> Iterator[TxnPage]:
        """Yield pages of :class:`Txn` booked or pending in the inclusive
        range. Booked transactions are filtered on booking date, pending ones
        on value date. Costs one call of the bank's daily quota.

        Contract the ORM layer relies on: booked pages first, in ascending
        ``(date, id)`` order (statements per period and resuming after the
        last committed day need it), then pending pages; the provider's answer
        is read and checked whole before the first page (a bad answer raises
        and nothing is half-delivered); memory stays flat in the size of the
        range."""

    @abc.abstractmethod
    def fetch_balance(self, account_id) -> BalanceReport:
        """Return the account's balances (one call of the daily quota)."""

    @abc.abstractmethod
    def renew_connection(
        self,
        session_id,
        redirect_url,
        reference,
        history_days=None,
        access_days=None,
        language=None,
    ) -> ConsentSession:
        """Start a new consent for the same bank as ``session_id``.

        The old consent stays valid until :meth:`revoke`; the caller
        re-matches the new accounts by IBAN, then revokes the old session.
        """

    @abc.abstractmethod
    def revoke(self, session_id) -> None:
        """Delete the consent at the provider (idempotent: unknown is fine)."""
