"""Deterministic data of the sandbox bank: institutions, accounts, transactions.

Nothing here is random at run time: every value derives from SHA-256 seeds,
so two runs (or two machines) serve the same banks, IBANs and transactions.

Transactions are generated per account IBAN and per day (not per account id:
a renewed consent gives new account ids to the same bank account, and a real
bank keeps its transaction ids, so the sandbox does too). A day's set depends
only on the IBAN, the day and the configured volume, which makes any date range
cheap to serve lazily, in any order, and identical on every call.

Card payments are first *pending* (value date = the day, id ending ``-P``) and
become *booked* ``PENDING_DAYS`` later with a NEW id (no suffix), like banks do.
"""

import hashlib
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

DEMO_SECRET_ID = "sandbox-demo-secret-id"
DEMO_SECRET_KEY = "sandbox-demo-secret-key-0123456789"

PENDING_DAYS = 2
BALANCE_ANCHOR = date(2024, 1, 1)

# Pseudo-features the real API never sends; see providers/gocardless.py.
FEATURE_NO_AUTO_FETCH = "unattended_access_unsupported"
FEATURE_MANUAL_REFRESH = "manual_refresh_required"

LOGO = "https://cdn.example.invalid/sandbox/{}.png"


def _institution(id_, name, bic, countries, history, access, *, beta=False,
                 features=(), accounts, ids=True):
    return {
        "id": id_,
        "name": name,
        "bic": bic,
        "transaction_total_days": str(history),
        "max_access_valid_for_days": str(access),
        "countries": list(countries),
        "logo": LOGO.format(id_.lower()),
        "supported_features": ["account_selection", "pending_transactions",
                               *features],
        "identification_codes": [],
        "beta": beta,
        # sandbox-only, stripped from API answers:
        "_accounts": accounts,
        "_transaction_ids": ids,
    }


#: (name, currency, product) per account of an institution
INSTITUTIONS = [
    _institution(
        "SANDBOXFINANCE_SFIN0000", "Sandbox Finance", "SFIN0000",
        ["BE", "NL", "DE", "FR", "ES", "IT", "AT", "GB"], 730, 90,
        accounts=[("Current account", "EUR", "Business Current"),
                  ("Savings account", "EUR", "Business Savings")],
    ),
    _institution(
        "SBX_NORDBANK_NBBEBEBB", "Nordbank Belgium", "NBBEBEBB", ["BE", "NL"],
        540, 180, ids=False,
        accounts=[("Compte courant", "EUR", "Zichtrekening")],
    ),
    _institution(
        "SBX_BETABANQUE_BBFRFRPP", "Beta Banque (beta)", "BBFRFRPP", ["FR"],
        365, 90, beta=True,
        accounts=[("Compte professionnel", "EUR", "Pro")],
    ),
    _institution(
        "SBX_BANCOMANUAL_BMESESMM", "Banco Manual", "BMESESMM", ["ES"], 730, 90,
        features=[FEATURE_NO_AUTO_FETCH],
        accounts=[("Cuenta corriente", "EUR", "Empresa")],
    ),
    _institution(
        "SBX_MFABANK_MFABGB2L", "MFA Bank UK", "MFABGB2L", ["GB"], 365, 90,
        features=[FEATURE_MANUAL_REFRESH],
        accounts=[("Business current", "GBP", "Business")],
    ),
    _institution(
        "SBX_BANCABREVE_BBITITMM", "Banca Breve", "BBITITMM", ["IT"], 90, 90,
        accounts=[("Conto corrente", "EUR", "Business")],
    ),
    _institution(
        "SBX_HAUSBANK_HBDEDEFF", "Hausbank", "HBDEDEFF", ["DE", "AT"], 730, 180,
        accounts=[("Girokonto", "EUR", "Geschäftskonto"),
                  ("USD account", "USD", "Fremdwährungskonto")],
    ),
]
INSTITUTIONS_BY_ID = {item["id"]: item for item in INSTITUTIONS}

OWNER = "Sandbox Demo Company"

# (name, country) pools for counterparties
CUSTOMERS = ["Azure Interior", "Deco Addict", "Gemini Furniture", "Lumber Inc",
             "Ready Mat", "The Jackson Group", "Wood Corner", "Brandon Freeman"]
SUPPLIERS = ["Office Supplies Ltd", "CloudHost GmbH", "Energy Partners",
             "Fleet Leasing", "Telecom Plus", "Insurance Mutual"]
MERCHANTS = ["CAFE CENTRAL", "TRAIN TICKETS", "HARDWARE STORE", "BOOKSHOP",
             "PARKING CITY", "FUEL STATION", "RESTAURANT LE PORT"]
FX_MERCHANTS = ["AMAZON WEB SERVICES", "GITHUB INC", "ZOOM VIDEO"]


def _seed(*parts):
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()


def iban_check(country, bban):
    """Return the IBAN for ``country`` and ``bban`` with correct check digits."""
    digits = "".join(str(int(c, 36)) for c in f"{bban}{country}00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def _digits(rng, n):
    return "".join(str(rng.randrange(10)) for _ in range(n))


def make_bban(country, rng):
    """Return a BBAN shaped like ``country``'s (length and letters)."""
    if country == "BE":
        first = _digits(rng, 10)
        check = int(first) % 97 or 97
        return f"{first}{check:02d}"
    if country == "NL":
        return "SBXN" + _digits(rng, 10)
    if country == "GB":
        return "SBXG" + _digits(rng, 14)
    if country == "IT":
        return "X" + _digits(rng, 22)
    if country == "FR":
        return _digits(rng, 23)
    if country == "ES":
        return _digits(rng, 20)
    if country in ("DE",):
        return _digits(rng, 18)
    if country == "AT":
        return _digits(rng, 16)
    return _digits(rng, 18)


def account_iban(institution_id, index):
    """IBAN of the ``index``-th account of a bank: the same for every consent."""
    bank = INSTITUTIONS_BY_ID[institution_id]
    country = bank["countries"][0]
    rng = random.Random(_seed("iban", institution_id, index))
    return iban_check(country, make_bban(country, rng))


def counterparty_iban(name):
    """A stable Belgian IBAN for a counterparty name."""
    rng = random.Random(_seed("cp", name))
    return iban_check("BE", make_bban("BE", rng))


@dataclass(frozen=True)
class Origin:
    """One transaction as it happens on its value date (before rendering)."""

    index: int
    kind: str
    cents: int
    counterparty: str
    number: int
    delayed: bool
    fx: tuple | None = None  # (currency, foreign cents, rate as str)


def cents_to_str(cents):
    """Format integer cents as the API's amount string (``"-12.30"``)."""
    return str(Decimal(cents).scaleb(-2))


@dataclass(frozen=True)
class Volume:
    """A configured transaction count for an account over a range of days.

    ``per_day`` transactions every day, or ``total`` spread exactly over
    ``date_from``..``date_to`` (the first ``total % days`` days get one more).
    """

    date_from: date
    date_to: date
    per_day: int | None = None
    total: int | None = None

    def count(self, day):
        if not self.date_from <= day <= self.date_to:
            return None
        if self.per_day is not None:
            return self.per_day
        days = (self.date_to - self.date_from).days + 1
        base, extra = divmod(self.total, days)
        return base + (1 if (day - self.date_from).days < extra else 0)


@lru_cache(maxsize=256)
def originated(iban, day, volume, duplicates):
    """Return the :class:`Origin` list of ``iban`` on value date ``day``.

    ``volume`` (a :class:`Volume` or None) overrides the default 0-4 a day.
    ``duplicates``: also emit exact repeats now and then (banks without ids).
    """
    rng = random.Random(_seed("txn", iban, day.isoformat()))
    count = volume.count(day) if volume else None
    if count is None:
        count = rng.choice((0, 1, 1, 2, 2, 3, 4))
    result = []
    for index in range(count):
        roll = rng.random()
        number = rng.randrange(1, 10000)
        if roll < 0.18:
            kind, cents = "transfer_in", rng.randrange(5000, 400000)
            party = rng.choice(CUSTOMERS)
        elif roll < 0.36:
            kind, cents = "transfer_out", -rng.randrange(2000, 250000)
            party = rng.choice(SUPPLIERS)
        elif roll < 0.50:
            kind, cents = "direct_debit", -rng.randrange(1000, 30000)
            party = rng.choice(SUPPLIERS)
        elif roll < 0.92:
            kind, cents = "card", -rng.randrange(150, 12000)
            party = rng.choice(MERCHANTS)
        elif roll < 0.97:
            kind, cents = "card_fx", -rng.randrange(500, 50000)
            party = rng.choice(FX_MERCHANTS)
        else:
            kind, cents = "fee", -rng.randrange(50, 1500)
            party = ""
        fx = None
        if kind == "card_fx":
            rate = Decimal(rng.randrange(10500, 11500)).scaleb(-4)  # USD per EUR
            foreign = int((Decimal(-cents) * rate).to_integral_value())
            fx = ("USD", -foreign, str(rate))
        delayed = kind in ("card", "card_fx")
        result.append(Origin(index, kind, cents, party, number, delayed, fx))
        if duplicates and kind == "card" and rng.random() < 0.08:
            result.append(Origin(index, kind, cents, party, number, delayed))
    return result


def booking_date(origin, day):
    """Day ``origin`` (valued on ``day``) is booked."""
    return day + timedelta(days=PENDING_DAYS if origin.delayed else 0)


def render(origin, day, *, iban, currency, pending, with_ids):
    """Return the GoCardless JSON dict of one transaction."""
    prefix = hashlib.sha256(iban.encode()).hexdigest()[:8]
    base_id = f"{prefix}-{day:%Y%m%d}-{origin.index:05d}"
    txn = {}
    if with_ids:
        txn["transactionId"] = f"{base_id}-P" if pending else base_id
    else:
        txn["entryReference"] = f"{day:%y%m%d}{origin.number:04d}"
    if not pending:
        txn["bookingDate"] = booking_date(origin, day).isoformat()
    txn["valueDate"] = day.isoformat()
    txn["transactionAmount"] = {"amount": cents_to_str(origin.cents),
                                "currency": currency}
    party = origin.counterparty
    kind = origin.kind
    if kind == "transfer_in":
        txn.update(
            debtorName=party,
            debtorAccount={"iban": counterparty_iban(party)},
            remittanceInformationUnstructured=(
                f"Invoice INV/{day.year}/{origin.number:05d}"),
            endToEndId=f"E2E{day:%Y%m%d}{origin.number:05d}",
            bankTransactionCode="PMNT-RCDT-ESCT",
        )
    elif kind == "transfer_out":
        txn.update(
            creditorName=party,
            creditorAccount={"iban": counterparty_iban(party)},
            remittanceInformationUnstructuredArray=[
                f"Bill {origin.number:05d}", f"{party}"],
            endToEndId=f"OUT{day:%Y%m%d}{origin.number:05d}",
            bankTransactionCode="PMNT-ICDT-ESCT",
        )
    elif kind == "direct_debit":
        txn.update(
            creditorName=party,
            creditorAccount={"iban": counterparty_iban(party)},
            remittanceInformationUnstructured=f"SEPA DD mandate M-{origin.number:05d}",
            bankTransactionCode="PMNT-IDDT-ESDD",
        )
    elif kind in ("card", "card_fx"):
        txn.update(
            creditorName=party,
            remittanceInformationUnstructured=f"CARD 4242 {party} {day:%d.%m}",
            bankTransactionCode="PMNT-CCRD-POSD",
            proprietaryBankTransactionCode="CARD",
        )
        if origin.fx:
            fx_currency, fx_cents, rate = origin.fx
            txn["currencyExchange"] = {
                "sourceCurrency": fx_currency,
                "exchangeRate": rate,
                "unitCurrency": currency,
                "targetCurrency": currency,
                "instructedAmount": {"amount": cents_to_str(fx_cents),
                                     "currency": fx_currency},
            }
    else:
        txn.update(
            remittanceInformationUnstructured="Account maintenance fee",
            proprietaryBankTransactionCode="FEE",
        )
    if with_ids:
        txn["internalTransactionId"] = hashlib.md5(
            txn["transactionId"].encode()).hexdigest()
    return txn


def booked_on(iban, booking_day, volume, duplicates):
    """Yield ``(origin, value_day)`` of everything booked on ``booking_day``."""
    for origin in originated(iban, booking_day, volume, duplicates):
        if not origin.delayed:
            yield origin, booking_day
    value_day = booking_day - timedelta(days=PENDING_DAYS)
    for origin in originated(iban, value_day, volume, duplicates):
        if origin.delayed:
            yield origin, value_day


@lru_cache(maxsize=8192)
def booked_sum(iban, booking_day, volume, duplicates):
    """Sum in cents of everything booked on ``booking_day``."""
    return sum(o.cents for o, _d in booked_on(iban, booking_day, volume, duplicates))


def opening_cents(iban):
    """Balance at :data:`BALANCE_ANCHOR` (deterministic per IBAN)."""
    return random.Random(_seed("open", iban)).randrange(500000, 5000000)


def booked_balance(iban, day, volume, duplicates):
    """Booked balance in cents at the end of ``day``.

    Consistent with the transactions served: balance(d) - balance(d-1) is the
    sum of what is booked on d.
    """
    total = opening_cents(iban)
    step = timedelta(days=1)
    if day >= BALANCE_ANCHOR:
        current = BALANCE_ANCHOR + step
        while current <= day:
            total += booked_sum(iban, current, volume, duplicates)
            current += step
    else:
        current = BALANCE_ANCHOR
        while current > day:
            total -= booked_sum(iban, current, volume, duplicates)
            current -= step
    return total
