"""Exceptions raised by the online-synchronization provider layer.

Every failure that leaves a provider client is one of these classes, never a
``requests`` exception or a bare ``KeyError``. The ORM layer catches them to
decide what to tell the user and what to do next:

======================== =====================================================
class                    what the caller should do
======================== =====================================================
AuthenticationError      check the provider credentials (secret id / key)
ConsentExpiredError      ask the user to reconnect (new consent)
AccessRevokedError       ask the user to reconnect; the bank withdrew access
ConsentIncompleteError   the user has not finished (or rejected) the consent
RateLimitError           wait ``retry_after`` seconds, or until tomorrow
ProviderUnavailableError try again later (timeouts, 5xx after retries)
InvalidResponseError     report a bug with ``reference``; do not retry blindly
InstitutionError         the bank cannot be used this way (no unattended
                         fetching, needs a manual MFA refresh, ...)
======================== =====================================================

``ConsentExpiredError`` and ``AccessRevokedError`` share the base
``ReconnectRequiredError`` so a caller can catch "needs the user" in one place.
"""

import uuid


def new_reference():
    """Return a short random id to quote to support when no provider id exists."""
    return uuid.uuid4().hex[:12]


class ProviderError(Exception):
    """Base class of every provider failure.

    :param message: human readable summary (never contains secrets).
    :param reference: short id for support: the provider's request id when it
        sent one, else the id generated for the call (sent to the provider as
        ``X-Request-Id`` so both sides can find it).
    :param code: machine readable reason: the provider's error type or summary
        (``"AccessExpiredError"``, ``"Rate limit exceeded"``), an HTTP status
        (``"http_500"``) or one of ours (``"timeout"``, ``"connection"``).
    :param retryable: True when the same call may succeed later unchanged.
    :param status: HTTP status code when the error came from a response.
    :param detail: the provider's longer explanation, if any.
    """

    default_retryable = False

    def __init__(
        self,
        message,
        *,
        reference=None,
        code=None,
        retryable=None,
        status=None,
        detail=None,
    ):
        super().__init__(message)
        self.message = message
        self.reference = reference or new_reference()
        self.code = code
        self.retryable = self.default_retryable if retryable is None else retryable
        self.status = status
        self.detail = detail

    def __str__(self):
        text = self.message
        if self.detail and self.detail not in text:
            text = f"{text}: {self.detail}"
        return f"{text} (reference {self.reference})"


class AuthenticationError(ProviderError):
    """The API credentials or the access token are wrong or expired."""


class ReconnectRequiredError(ProviderError):
    """The end user has to go through the bank's consent screens again."""


class ConsentExpiredError(ReconnectRequiredError):
    """The agreement / requisition expired (GoCardless status ``EX``)."""


class AccessRevokedError(ReconnectRequiredError):
    """The bank or the end user withdrew access, or the account is suspended."""


class ConsentIncompleteError(ProviderError):
    """The consent flow is not finished, or the end user rejected it.

    ``code`` holds the provider's status (GoCardless: ``CR``, ``GC``, ``UA``,
    ``RJ``, ``SA``, ``GA``).
    """


class RateLimitError(ProviderError):
    """Too many calls; ``retry_after`` says how many seconds to wait (or None).

    ``daily_limit`` is True when the bank's own per-day quota (typically four
    calls per account and scope) is spent: retrying today is pointless.
    """

    default_retryable = True

    def __init__(self, message, *, retry_after=None, daily_limit=False, **kwargs):
        if daily_limit:
            kwargs.setdefault("retryable", False)
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.daily_limit = daily_limit


class ProviderUnavailableError(ProviderError):
    """The provider did not answer in time or answered 5xx after all retries."""

    default_retryable = True

    def __init__(self, message, *, attempts=1, **kwargs):
        super().__init__(message, **kwargs)
        self.attempts = attempts


class InvalidResponseError(ProviderError):
    """The provider answered with malformed JSON or an unexpected shape."""


class InstitutionError(ProviderError):
    """The bank refuses this use: no unattended fetching, MFA needed, ..."""
