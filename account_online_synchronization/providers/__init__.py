"""Pure provider layer: provider-neutral shapes, the HTTP seam and clients.

Imports nothing from ``odoo``; see :mod:`.base` for the contract.
"""

from . import exceptions
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
from .gocardless import GoCardlessClient, TokenState
from .transport import HttpResponse, HttpTransport

__all__ = [
    "Balance",
    "BalanceReport",
    "ConsentSession",
    "GoCardlessClient",
    "HttpResponse",
    "HttpTransport",
    "Institution",
    "OnlineAccount",
    "ProviderClient",
    "RateLimitInfo",
    "TokenState",
    "Txn",
    "TxnPage",
    "exceptions",
]
