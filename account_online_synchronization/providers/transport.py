"""The one HTTP seam of the provider layer.

Provider clients never import ``requests``: they call
:meth:`HttpTransport.request`, which

* applies a ``(connect, read)`` timeout to every call,
* retries transient failures (timeouts, connection errors, 5xx, 429) with
  exponential backoff and jitter, honouring ``Retry-After`` (seconds or an
  HTTP date) up to ``max_retry_wait`` seconds,
* maps every failure to :mod:`.exceptions` classes, with the provider's
  summary/detail and a support reference,
* returns a small :class:`HttpResponse` that owns its bytes (no ``requests``
  object leaks out),
* or, for large answers, hands the body to a ``consume`` function chunk by
  chunk (``stream=True`` underneath) without ever holding it whole; a
  connection lost or a read timed out in the middle of the body is retried
  like one before the answer, by calling ``consume`` again on a new answer.

Non-idempotent calls (POST) are only retried when the request cannot have
been processed: connection refused, 429 and 503. A provider client may pass
``idempotent=True`` for POSTs that are safe to repeat (token requests).
"""

import email.utils
import json as jsonlib
import logging
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

import requests
from requests.structures import CaseInsensitiveDict

from .exceptions import (
    AuthenticationError,
    InvalidResponseError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    new_reference,
)

_logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REQUEST_ID_HEADERS = ("X-Request-Id", "X-Correlation-Id", "Request-Id", "CF-Ray")
_RETRY_IN_TEXT = re.compile(r"try again in (\d+) seconds", re.IGNORECASE)


@dataclass
class HttpResponse:
    """A finished HTTP exchange.

    :ivar status: HTTP status code.
    :ivar headers: case-insensitive response headers.
    :ivar content: raw body bytes (None for a streamed answer).
    :ivar url: the final URL.
    :ivar reference: support id (provider request id, else the generated one).
    :ivar attempts: how many tries the transport needed.
    """

    status: int
    headers: CaseInsensitiveDict
    content: bytes
    url: str
    reference: str
    attempts: int = 1
    result: object = None
    _parsed: object = field(default=None, repr=False)
    _chunks: object = field(default=None, repr=False)

    def iter_chunks(self):
        """Yield the body of a streamed answer as bytes chunks (once).

        Only valid inside the ``consume`` function given to
        :meth:`HttpTransport.request`.
        """
        if self._chunks is None:
            raise RuntimeError("Not a streamed answer, or already read")
        chunks, self._chunks = self._chunks, None
        yield from chunks

    def json(self):
        """Return the decoded JSON body; numbers with a fraction are Decimal.

        :raises InvalidResponseError: the body is not valid UTF-8 JSON.
        """
        if self._parsed is None:
            self._parsed = parse_json(self.content, self.reference, self.url)
        return self._parsed


def parse_json(content, reference, where=""):
    """Decode JSON bytes without ever producing a float for money.

    :raises InvalidResponseError: with the position of the first bad byte.
    """
    try:
        return jsonlib.loads(content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidResponseError(
            f"Malformed JSON from the provider ({where})",
            reference=reference,
            code="malformed_json",
            detail=str(error)[:200],
        ) from error


def parse_retry_after(value, now=None):
    """Return the wait in seconds for a ``Retry-After`` value, or None.

    Accepts delta-seconds (``"120"``) and an HTTP date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``); a date in the past gives 0.
    """
    if value is None:
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def error_text(payload):
    """Return ``(summary, detail, type)`` from a provider error body.

    Understands the flat ``{"summary", "detail", "type"}`` shape and the
    per-field shape ``{"date_from": {"summary": ..., "detail": ...}}``.
    """
    if not isinstance(payload, dict):
        return None, None, None
    summary = payload.get("summary")
    detail = payload.get("detail")
    kind = payload.get("type")
    if summary is None and detail is None:
        for key, value in payload.items():
            if isinstance(value, dict) and ("summary" in value or "detail" in value):
                summary = f"{key}: {value.get('summary') or ''}".strip()
                detail = value.get("detail")
                break
            if isinstance(value, list) and value and isinstance(value[0], str):
                summary, detail = key, " ".join(value)
                break
    if isinstance(detail, (list, dict)):
        detail = jsonlib.dumps(detail, default=str)[:500]
    return (
        str(summary) if summary is not None else None,
        str(detail) if detail is not None else None,
        str(kind) if kind is not None else None,
    )


def default_error_mapper(status, payload, headers, reference):
    """Map an HTTP error response to a :class:`ProviderError` (provider-agnostic).

    Provider clients pass their own mapper to refine this; it must return an
    exception instance (the transport raises it, or retries when
    ``retryable``).
    """
    summary, detail, kind = error_text(payload)
    message = summary or f"HTTP {status}"
    common = {
        "reference": reference,
        "status": status,
        "detail": detail,
        "code": kind or summary or f"http_{status}",
    }
    if status == 401:
        return AuthenticationError(message, **common)
    if status == 429:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        if retry_after is None and detail:
            match = _RETRY_IN_TEXT.search(detail)
            retry_after = float(match.group(1)) if match else None
        return RateLimitError(message, retry_after=retry_after, **common)
    if status >= 500:
        return ProviderUnavailableError(message, **common)
    return ProviderError(message, **common)


class HttpTransport:
    """Blocking HTTP client with timeouts, retries and error mapping.

    :param base_url: prefix for relative URLs (``"https://host"``).
    :param timeout: ``(connect, read)`` seconds applied to every call.
    :param max_retries: extra tries after the first one for transient errors.
    :param backoff_base: first backoff in seconds; doubles on each retry.
    :param backoff_max: cap of one computed backoff.
    :param max_retry_wait: longest wait the transport accepts; a
        ``Retry-After`` above it raises :class:`RateLimitError` at once so a
        cron never sleeps for minutes.
    :param sleep: function used to wait (tests inject a recorder).
    :param rng: ``random.Random``-like object for jitter.
    :param session: a ``requests.Session`` (created when omitted).
    :param error_mapper: ``f(status, payload, headers, reference) ->
        ProviderError``; see :func:`default_error_mapper`.
    :param default_headers: headers sent with every call.
    """

    def __init__(
        self,
        base_url="",
        *,
        timeout=(5.0, 60.0),
        max_retries=3,
        backoff_base=0.5,
        backoff_max=30.0,
        max_retry_wait=120.0,
        sleep=time.sleep,
        rng=None,
        session=None,
        error_mapper=default_error_mapper,
        default_headers=None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_wait = max_retry_wait
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.session = session or requests.Session()
        self.error_mapper = error_mapper
        self.default_headers = {
            "Accept": "application/json",
            "User-Agent": "odoo-account-online-synchronization",
            **(default_headers or {}),
        }

    def close(self):
        """Close the pooled connections."""
        self.session.close()

    def backoff(self, attempt):
        """Return the wait before retry number ``attempt`` (1-based).

        Exponential with "equal jitter": half fixed, half random, so waits grow
        but concurrent workers spread out.
        """
        cap = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return cap / 2 + self.rng.uniform(0, cap / 2)

    def request(
        self, method, url, *, json=None, params=None, headers=None, idempotent=None,
        consume=None, chunk_size=64 * 1024,
    ):
        """Send one logical request (with retries) and return its response.

        :param method: HTTP verb.
        :param url: absolute URL or a path appended to ``base_url``.
        :param json: body to send as JSON.
        :param params: query parameters.
        :param headers: extra headers (e.g. ``Authorization``).
        :param idempotent: override whether transient failures after the
            request was sent may be retried (default: by method).
        :param consume: stream the body: ``consume(response)`` is called with
            an :class:`HttpResponse` whose :meth:`~HttpResponse.iter_chunks`
            yields the body in ``chunk_size`` pieces as they arrive (its
            ``content`` is None); what it returns is the response's
            ``result``. A connection lost or a read timing out while reading
            the body raises :class:`ProviderUnavailableError` out of
            ``iter_chunks``; the transport then retries the whole request
            (idempotent requests only) and calls ``consume`` again from the
            start, so ``consume`` must not keep anything from a failed try.
            Errors ``consume`` raises itself are not retried. Error answers
            (status 400 and above) are read whole and mapped as usual.
        :returns: :class:`HttpResponse` with a status below 400.
        :raises ProviderError: a subclass from :mod:`.exceptions`.
        """
        method = method.upper()
        if not url.startswith(("http://", "https://")):
            url = f"{self.base_url}{url}"
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        reference = new_reference()
        all_headers = {**self.default_headers, "X-Request-Id": reference}
        all_headers.update(headers or {})
        attempt = 0
        while True:
            attempt += 1
            try:
                error = None
                response = self.session.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers=all_headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=consume is not None,
                )
            except requests.exceptions.ConnectTimeout as exc:
                error = _unavailable("Connection timed out", "timeout", exc,
                                     reference, retryable=True)
            except requests.exceptions.Timeout as exc:
                error = _unavailable("The provider did not answer in time",
                                     "timeout", exc, reference, idempotent)
            except requests.exceptions.ConnectionError as exc:
                # A refused connection never reached the server; other
                # connection errors might have, so POST only retries the first.
                error = _unavailable("Could not reach the provider", "connection",
                                     exc, reference, idempotent or _is_refused(exc))
            except requests.exceptions.RequestException as exc:
                error = _unavailable("HTTP request failed", "request", exc,
                                     reference, retryable=False)
            if error is None:
                ref = _response_reference(response.headers, reference)
                if response.status_code < 400 and consume is not None:
                    answer = HttpResponse(
                        status=response.status_code,
                        headers=CaseInsensitiveDict(response.headers),
                        content=None,
                        url=url,
                        reference=ref,
                        attempts=attempt,
                        _chunks=_body_chunks(response, chunk_size, ref, idempotent),
                    )
                    try:
                        answer.result = consume(answer)
                        return answer
                    except ProviderUnavailableError as exc:
                        if exc.code not in ("interrupted", "timeout") \
                                or exc.reference != ref:
                            raise
                        error = exc
                    finally:
                        answer._chunks = None
                        response.close()
                elif response.status_code < 400:
                    return HttpResponse(
                        status=response.status_code,
                        headers=CaseInsensitiveDict(response.headers),
                        content=response.content,
                        url=url,
                        reference=ref,
                        attempts=attempt,
                    )
                else:
                    error = self._map_response_error(response, ref)
                    if not idempotent and response.status_code not in (429, 503):
                        error.retryable = False
            if isinstance(error, ProviderUnavailableError):
                error.attempts = attempt
            wait = self._retry_wait(error, attempt)
            if wait is None:
                raise error
            _logger.info(
                "Retrying %s %s in %.2fs after %s (attempt %d, reference %s)",
                method, _strip_query(url), wait, error.code, attempt, reference,
            )
            self.sleep(wait)

    def _retry_wait(self, error, attempt):
        """Return seconds to wait before retrying, or None to give up."""
        if not error.retryable or attempt > self.max_retries:
            return None
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            if error.retry_after > self.max_retry_wait:
                return None
            return error.retry_after
        return min(self.backoff(attempt), self.max_retry_wait)

    def _map_response_error(self, response, reference):
        payload = None
        if response.content:
            try:
                payload = jsonlib.loads(response.content, parse_float=Decimal)
            except (ValueError, UnicodeDecodeError):
                payload = {"detail": response.text[:200]}
        error = self.error_mapper(
            response.status_code, payload, response.headers, reference
        )
        if not isinstance(error, ProviderError):
            raise TypeError("error_mapper must return a ProviderError")
        return error


def _body_chunks(response, chunk_size, reference, retryable):
    """Yield the body of a streamed ``requests`` response, mapping failures.

    ``requests`` reports a read timeout inside the body as a ConnectionError,
    a connection cut in the middle of a chunked body as ChunkedEncodingError.
    """
    try:
        yield from response.iter_content(chunk_size=chunk_size)
    except requests.exceptions.ConnectionError as exc:
        timed_out = "timed out" in repr(exc).lower()
        raise _unavailable(
            "The provider stopped answering in the middle of the answer",
            "timeout" if timed_out else "interrupted", exc, reference, retryable,
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise _unavailable("The answer of the provider was cut off", "interrupted",
                           exc, reference, retryable) from exc


def _unavailable(message, code, exc, reference, retryable):
    return ProviderUnavailableError(
        message,
        code=code,
        detail=type(exc).__name__,
        reference=reference,
        retryable=retryable,
    )


def _response_reference(headers, fallback):
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value and value != fallback:
            return str(value)[:64]
    return fallback


def _is_refused(exc):
    text = repr(exc)
    return "Connection refused" in text or "ConnectionRefused" in text


def _strip_query(url):
    return url.split("?", 1)[0]
