"""A local HTTP server speaking the GoCardless Bank Account Data API v2.

Used by the pure tests, the Odoo tests and the demo, never exposed beyond
127.0.0.1 by default. Same paths and JSON shapes as the real API (see
``providers/gocardless.py``), with deterministic data from :mod:`.data`.

Credentials: only :data:`DEMO_SECRET_ID` / :data:`DEMO_SECRET_KEY` get tokens;
anything else gets the API's 401 ``{"summary", "detail", "status_code"}``.

Consent flow: a requisition's ``link`` is an HTML page of this server with an
"Authorise" form; posting it links the accounts (status ``LN``) and redirects
to the requisition's ``redirect`` URL with ``?ref=<reference>``. "Cancel"
redirects with ``?ref=...&error=UserCancelledSession`` (status ``RJ``).

Clock: ``today`` (a date) drives transactions, pending->booked, consent expiry
and the banks' daily quotas; tokens expire on the real clock plus an offset.

Bank behaviours:

* every account endpoint counts successful calls per account, scope and day
  (``account_daily_limit``, 4 like most banks) and sends the
  ``HTTP_X_RATELIMIT_*`` headers; past the limit: 429 ``RateLimitError``;
* Banca Breve gives 90 days of history: an older ``date_from`` is a 400;
* Banco Manual says (institution feature ``unattended_access_unsupported``)
  that it does not want unattended (scheduled) fetching; it answers the calls a
  user starts, and the addon never fetches it from its cron;
* MFA Bank UK answers balances/transactions only on the day of the consent,
  then asks for strong customer authentication (``InstitutionError``) until a
  new consent is made;
* Nordbank gives no ``transactionId`` and sometimes identical transactions;
* a consent expires ``access_valid_for_days`` after acceptance (status ``EX``,
  401 ``AccessExpiredError`` on data calls).

Control API (POST JSON under ``/_sandbox/``; see ``_CONTROL`` below)::

    /_sandbox/today    {"today": "2025-03-31"} or {"advance_days": 2}
    /_sandbox/faults   {"path": "/transactions/", "kind": "500", "count": 2,
                        "method": "GET", "retry_after": 1, "delay": 5,
                        "retry_after_format": "seconds" | "http-date"}
                       kinds: timeout 500 503 429 daily_limit malformed
                              token_expired consent_expired revoked drop cut
                       malformed with "after_bytes": N sends the real (streamed)
                       answer, then broken JSON after N bytes; cut sends N
                       bytes of it ("after_bytes", default 1000), then closes
                       the connection in the middle of a chunk
    /_sandbox/volume   {"account": "<id or IBAN>", "per_day": 300} or
                       {"account": ..., "total": 100000,
                        "date_from": "2024-01-01", "date_to": "2024-12-31"}
    /_sandbox/limits   {"account_daily": 100}
    /_sandbox/tokens   {"expire": "access" | "refresh" | "all"}
    /_sandbox/reset    {} (faults, log, quotas; keeps consents) or {"all": true}
    /_sandbox/log      {} -> {"requests": [...], "counters": {...}}  (GET too)
    /_sandbox/state    {} -> today, requisitions, accounts, faults  (GET too)

Large volumes are generated lazily and streamed (chunked transfer encoding),
the JSON never exists whole in the server's memory.
"""

import collections
import email.utils
import hashlib
import html
import json
import logging
import re
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from . import data
from .data import DEMO_SECRET_ID, DEMO_SECRET_KEY

_logger = logging.getLogger(__name__)

ACCESS_TTL = 24 * 3600
REFRESH_TTL = 30 * 24 * 3600
API_LIMIT_PER_MINUTE = 100
FAULT_KINDS = {
    "timeout", "500", "503", "429", "daily_limit", "malformed", "token_expired",
    "consent_expired", "revoked", "drop", "cut",
}
SCOPES = ("details", "balances", "transactions")
_CHUNK = 64 * 1024


class ApiError(Exception):
    """An API error answer: status plus the JSON body to send."""

    def __init__(self, status, body, headers=None):
        super().__init__(body)
        self.status = status
        self.body = dict(body)
        if "status_code" not in self.body and "summary" in self.body:
            self.body["status_code"] = status
        self.headers = headers or {}


def _error(status, summary, detail, kind=None):
    body = {"summary": summary, "detail": detail, "status_code": status}
    if kind:
        body["type"] = kind
    return ApiError(status, body)


def _field_error(status, field, summary, detail):
    return ApiError(status, {field: {"summary": summary, "detail": detail},
                             "status_code": status})


INVALID_TOKEN = ("Invalid token", "Token is invalid or expired")


class SandboxState:
    """Everything the sandbox remembers; all access under ``lock``."""

    def __init__(self, today=None, account_daily_limit=4,
                 access_ttl=ACCESS_TTL, refresh_ttl=REFRESH_TTL):
        self.lock = threading.RLock()
        self.today = today or date.today()
        self.account_daily_limit = account_daily_limit
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.time_offset = 0.0
        self.counter = 0
        self.reset(everything=True)

    def reset(self, everything=False):
        with self.lock:
            self.faults = []
            self.log = collections.deque(maxlen=20000)
            self.counters = collections.Counter()
            self.quota = collections.Counter()
            self.minute = collections.Counter()
            if everything:
                self.access_tokens = {}
                self.refresh_tokens = {}
                self.agreements = {}
                self.requisitions = {}
                self.accounts = {}
                self.volumes = {}

    def clock(self):
        return time.time() + self.time_offset

    def now(self):
        """Sandbox "now": ``today`` with the real UTC time of day."""
        real = datetime.now(timezone.utc)
        return datetime.combine(self.today, real.timetz())

    def new_id(self, kind):
        self.counter += 1
        digest = hashlib.sha256(f"{kind}:{self.counter}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))


class SandboxServer(ThreadingHTTPServer):
    """The sandbox HTTP server; start it with :func:`start_sandbox`.

    :ivar url: ``http://127.0.0.1:<port>`` (no trailing slash).
    :ivar state: :class:`SandboxState`, also reachable via the control API.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host="127.0.0.1", port=0, **state_options):
        super().__init__((host, port), SandboxHandler)
        self.state = SandboxState(**state_options)
        self.stopping = threading.Event()
        self._thread = None
        host, port = self.server_address[:2]
        self.url = f"http://{host}:{port}"

    # -- life cycle --
    def start(self):
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.server_address[1]}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and close the socket (wakes sleeping "timeout" faults)."""
        self.stopping.set()
        self.shutdown()
        self.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def handle_error(self, request, client_address):
        # Clients that time out close their socket: not worth a traceback.
        _logger.debug("Sandbox connection error from %s", client_address,
                      exc_info=True)

    # -- Python-side controls (the HTTP control API calls the same) --
    def set_today(self, today=None, advance_days=0):
        """Move the sandbox clock (date) and return it."""
        with self.state.lock:
            if today is not None:
                self.state.today = (today if isinstance(today, date)
                                    else date.fromisoformat(today))
            self.state.today += timedelta(days=int(advance_days))
            return self.state.today

    def inject_fault(self, kind, path="", count=1, method=None, **params):
        """Make the next ``count`` requests whose path contains ``path`` fail."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault kind {kind!r}")
        fault = {"kind": kind, "path": path, "count": int(count),
                 "method": method.upper() if method else None, **params}
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    def set_volume(self, account, per_day=None, total=None, date_from=None,
                   date_to=None):
        """Set the transaction count of an account (id or IBAN)."""
        with self.state.lock:
            iban = self._iban_of(account)
            start = _as_date(date_from) if date_from else date(1900, 1, 1)
            end = _as_date(date_to) if date_to else date(2999, 12, 31)
            if total is not None and not (date_from and date_to):
                raise ValueError("total needs date_from and date_to")
            if per_day is None and total is None:
                self.state.volumes.pop(iban, None)
                return None
            volume = data.Volume(start, end,
                                 None if per_day is None else int(per_day),
                                 None if total is None else int(total))
            self.state.volumes[iban] = volume
            return volume

    def _iban_of(self, account):
        account_data = self.state.accounts.get(account)
        if account_data:
            return account_data["iban"]
        return str(account).replace(" ", "")

    @property
    def requests_log(self):
        """List of dicts: method, path, query, status, fault, request_id."""
        with self.state.lock:
            return list(self.state.log)

    @property
    def counters(self):
        """Counter of ``"METHOD /path"`` (ids replaced by ``{id}``)."""
        with self.state.lock:
            return collections.Counter(self.state.counters)


def start_sandbox(host="127.0.0.1", port=0, **state_options):
    """Start a sandbox in a background thread and return the :class:`SandboxServer`.

    ``state_options``: ``today`` (date), ``account_daily_limit`` (int or None
    for unlimited), ``access_ttl`` / ``refresh_ttl`` (seconds). Use it as a
    context manager or call ``.stop()``.
    """
    return SandboxServer(host, port, **state_options).start()


def _as_date(value):
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


_ID = r"([A-Za-z0-9_\-]+)"
_ROUTES = [
    ("POST", r"/api/v2/token/new/", "token_new"),
    ("POST", r"/api/v2/token/refresh/", "token_refresh"),
    ("GET", r"/api/v2/institutions/", "institutions"),
    ("GET", rf"/api/v2/institutions/{_ID}/", "institution"),
    ("POST", r"/api/v2/agreements/enduser/", "agreement_create"),
    ("GET", rf"/api/v2/agreements/enduser/{_ID}/", "agreement_get"),
    ("DELETE", rf"/api/v2/agreements/enduser/{_ID}/", "agreement_delete"),
    ("POST", r"/api/v2/requisitions/", "requisition_create"),
    ("GET", r"/api/v2/requisitions/", "requisition_list"),
    ("GET", rf"/api/v2/requisitions/{_ID}/", "requisition_get"),
    ("DELETE", rf"/api/v2/requisitions/{_ID}/", "requisition_delete"),
    ("GET", rf"/api/v2/accounts/{_ID}/", "account_get"),
    ("GET", rf"/api/v2/accounts/{_ID}/details/", "account_details"),
    ("GET", rf"/api/v2/accounts/{_ID}/balances/", "account_balances"),
    ("GET", rf"/api/v2/accounts/{_ID}/transactions/", "account_transactions"),
]
_ROUTES = [(m, re.compile(p + "$"), name) for m, p, name in _ROUTES]
_LINK = re.compile(rf"/psd2/start/{_ID}/{_ID}/?$")


class SandboxHandler(BaseHTTPRequestHandler):
    """Request handler; one instance per request, state on ``self.server``."""

    protocol_version = "HTTP/1.1"
    server_version = "GoCardlessSandbox/1.0"

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        _logger.debug("sandbox: " + format, *args)

    @property
    def state(self):
        return self.server.state

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PUT(self):
        self._dispatch("PUT")

    # -- plumbing -----------------------------------------------------------

    def _dispatch(self, method):
        parts = urlsplit(self.path)
        self.url_path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.sent_status = None
        self.stream_fault = None
        fault = None
        entry = self._record(method)
        try:
            body = self._read_body()
            if self.url_path.startswith("/_sandbox/"):
                return self._control(method, self.url_path[len("/_sandbox/"):],
                                     body)
            if self.url_path.startswith("/psd2/start/"):
                return self._consent_page(method, body)
            if self.url_path in ("/", "/index.html"):
                return self._send_html(200, _PAGE.format(
                    title="GoCardless Bank Account Data sandbox",
                    body=_INDEX.format(url=html.escape(self.server.url),
                                       secret_id=DEMO_SECRET_ID,
                                       secret_key=DEMO_SECRET_KEY)))
            fault = self._take_fault(method)
            if fault and entry is not None:
                entry["fault"] = fault["kind"]
            if fault and self._apply_fault(fault):
                return
            handler, args = self._route(method)
            self._authenticate(handler)
            getattr(self, "api_" + handler)(body, *args)
        except ApiError as error:
            self._send_json(error.status, error.body, error.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # a sandbox bug must answer 500, not hang the client
            _logger.exception("Sandbox error on %s %s", method, self.path)
            self._send_json(500, {"summary": "Sandbox internal error",
                                  "detail": "See the sandbox log",
                                  "status_code": 500})
        finally:
            if entry is not None:
                entry["status"] = self.sent_status

    def _record(self, method):
        """Log the request when it arrives (status is filled in at the end)."""
        if self.url_path.startswith("/_sandbox/"):
            return None
        pattern = self.url_path
        for _method, regex, _name in _ROUTES:
            if regex.match(self.url_path):
                pattern = re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27}/", "/{id}/",
                                 self.url_path)
                break
        with self.state.lock:
            self.state.counters[f"{method} {pattern}"] += 1
            entry = {
                "method": method,
                "path": self.url_path,
                "query": self.query,
                "status": None,
                "fault": None,
                "request_id": self.headers.get("X-Request-Id"),
            }
            self.state.log.append(entry)
        return entry

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        if not raw:
            return {}
        if "application/x-www-form-urlencoded" in ctype:
            return parse_qs(raw.decode("utf-8"))
        try:
            return json.loads(raw)
        except ValueError as error:
            raise _error(400, "Invalid JSON", str(error)) from error

    def _route(self, method):
        path_known = False
        for route_method, regex, name in _ROUTES:
            match = regex.match(self.url_path)
            if match:
                path_known = True
                if route_method == method:
                    return name, match.groups()
        if path_known:
            raise _error(405, "Method not allowed",
                         f'Method "{method}" not allowed.')
        raise _error(404, "Not found.", "Not found.")

    def _authenticate(self, handler):
        if handler in ("token_new", "token_refresh"):
            return
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise _error(401, "Authentication credentials were not provided.",
                         "Authentication credentials were not provided.")
        token = auth[len("Bearer "):].strip()
        with self.state.lock:
            expires = self.state.access_tokens.get(token)
            if expires is None or expires <= self.state.clock():
                raise _error(401, *INVALID_TOKEN)

    def _send_bytes(self, status, payload, content_type, headers=None):
        self.sent_status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _send_json(self, status, body, headers=None):
        payload = json.dumps(body).encode()
        self._send_bytes(status, payload, "application/json", headers)

    def _send_html(self, status, text, headers=None):
        self._send_bytes(status, text.encode(), "text/html; charset=utf-8",
                         headers)

    def _send_stream(self, status, chunks, headers=None):
        """Send an iterator of bytes with chunked transfer encoding."""
        self.sent_status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        self.end_headers()
        fault = self.stream_fault
        budget = int(fault.get("after_bytes", 1000)) if fault else None
        buffer = []
        size = 0
        for chunk in chunks:
            buffer.append(chunk)
            size += len(chunk)
            if budget is not None and size >= budget:
                payload = b"".join(buffer)
                return self._break_stream(fault["kind"], payload[:budget])
            if size >= _CHUNK:
                self._write_chunk(b"".join(buffer))
                if budget is not None:
                    budget -= size
                buffer, size = [], 0
        if buffer:
            self._write_chunk(b"".join(buffer))
        self.wfile.write(b"0\r\n\r\n")

    def _break_stream(self, kind, payload):
        """End a streamed answer with the fault (see the module doc)."""
        if kind == "malformed":
            self._write_chunk(payload + b'}, {"transactionId": tru]]')
            self.wfile.write(b"0\r\n\r\n")
            return
        # "cut": announce more bytes than sent, then hang up.
        self.wfile.write(b"%x\r\n%s" % (len(payload) + 4096, payload))
        self.wfile.flush()
        self.close_connection = True

    def _write_chunk(self, payload):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))

    # -- faults -------------------------------------------------------------

    def _take_fault(self, method):
        with self.state.lock:
            for fault in self.state.faults:
                if fault["count"] <= 0:
                    continue
                if fault["method"] and fault["method"] != method:
                    continue
                if fault["path"] and fault["path"] not in self.url_path:
                    continue
                fault["count"] -= 1
                return dict(fault)
        return None

    def _apply_fault(self, fault):
        """Answer with the fault; return False to go on with the real answer."""
        kind = fault["kind"]
        if kind == "timeout":
            self.server.stopping.wait(float(fault.get("delay", 5.0)))
            return False
        if kind == "drop":
            self.close_connection = True
            self.sent_status = 0
            return True
        if kind in ("500", "503"):
            status = int(kind)
            summary = ("Internal Server Error" if status == 500
                       else "Service Unavailable")
            kind_name = "UnknownRequestError" if status == 500 else "ServiceError"
            raise _error(status, summary, "Injected sandbox fault", kind_name)
        if kind == "429":
            wait = int(fault.get("retry_after", 1))
            if fault.get("retry_after_format") == "http-date":
                value = email.utils.formatdate(time.time() + wait, usegmt=True)
            else:
                value = str(wait)
            error = _error(
                429, "Rate limit exceeded",
                f"The rate limit for this resource is {API_LIMIT_PER_MINUTE}/minute."
                f" Please try again in {wait} seconds",
            )
            error.headers = {"Retry-After": value}
            raise error
        if kind == "daily_limit":
            raise _error(429, "Couldn't update transactions",
                         "Daily request limit set by the Institution has been "
                         "exceeded.", "RateLimitError")
        if kind in ("cut", "malformed") and (kind == "cut" or "after_bytes" in fault):
            self.stream_fault = fault  # applied by _send_stream
            return False
        if kind == "malformed":
            self._send_bytes(200, b'{"transactions": {"booked": [{"transactionId": ',
                             "application/json")
            return True
        if kind == "token_expired":
            raise _error(401, *INVALID_TOKEN)
        if kind == "consent_expired":
            raise _error(401, "End User Agreement (EUA) has expired",
                         "EUA expired; the end user must reconnect the account.",
                         "AccessExpiredError")
        if kind == "revoked":
            raise _error(401, "Access revoked",
                         "Access has been revoked by the end user at the "
                         "institution.", "AccessExpiredError")
        return False

    # -- control API --------------------------------------------------------

    def _control(self, method, name, body):
        server = self.server
        name = name.strip("/")
        if method == "GET" and name not in ("log", "state"):
            raise _error(405, "Method not allowed", "Control calls are POST JSON")
        try:
            if name == "today":
                today = server.set_today(body.get("today"),
                                         body.get("advance_days", 0))
                result = {"today": today.isoformat()}
            elif name == "faults":
                items = body.get("faults") if "faults" in body else [body]
                result = {"faults": [server.inject_fault(**item) for item in items]}
            elif name == "volume":
                volume = server.set_volume(**body)
                result = {"volume": None if volume is None else {
                    "date_from": volume.date_from.isoformat(),
                    "date_to": volume.date_to.isoformat(),
                    "per_day": volume.per_day, "total": volume.total}}
            elif name == "limits":
                with self.state.lock:
                    self.state.account_daily_limit = body.get("account_daily")
                result = {"account_daily": self.state.account_daily_limit}
            elif name == "tokens":
                result = self._expire_tokens(body.get("expire", "all"))
            elif name == "reset":
                self.state.reset(everything=bool(body.get("all")))
                result = {"reset": True}
            elif name == "log":
                result = {"requests": server.requests_log,
                          "counters": dict(server.counters)}
            elif name == "state":
                result = self._state_summary()
            else:
                raise _error(404, "Not found.", f"No control named {name!r}")
        except (TypeError, ValueError) as error:
            raise _error(400, "Invalid control call", str(error)) from error
        self._send_json(200, result)

    def _expire_tokens(self, which):
        with self.state.lock:
            past = self.state.clock() - 1
            if which in ("access", "all"):
                for token in self.state.access_tokens:
                    self.state.access_tokens[token] = past
            if which in ("refresh", "all"):
                for token in self.state.refresh_tokens:
                    self.state.refresh_tokens[token] = past
        return {"expired": which}

    def _state_summary(self):
        with self.state.lock:
            return {
                "today": self.state.today.isoformat(),
                "requisitions": {k: {f: v[f] for f in ("status", "institution_id",
                                                       "reference", "accounts")}
                                 for k, v in self.state.requisitions.items()},
                "accounts": {k: {"iban": v["iban"], "currency": v["currency"]}
                             for k, v in self.state.accounts.items()},
                "faults": [f for f in self.state.faults if f["count"] > 0],
                "account_daily_limit": self.state.account_daily_limit,
            }

    # -- tokens -------------------------------------------------------------

    def api_token_new(self, body):
        if (body.get("secret_id") != DEMO_SECRET_ID
                or body.get("secret_key") != DEMO_SECRET_KEY):
            raise _error(401, "Authentication failed",
                         "No active account found with the given credentials")
        with self.state.lock:
            access, refresh = uuid.uuid4().hex, uuid.uuid4().hex
            now = self.state.clock()
            self.state.access_tokens[access] = now + self.state.access_ttl
            self.state.refresh_tokens[refresh] = now + self.state.refresh_ttl
        self._send_json(200, {"access": access,
                              "access_expires": self.state.access_ttl,
                              "refresh": refresh,
                              "refresh_expires": self.state.refresh_ttl})

    def api_token_refresh(self, body):
        refresh = body.get("refresh")
        with self.state.lock:
            expires = self.state.refresh_tokens.get(refresh)
            if expires is None or expires <= self.state.clock():
                raise _error(401, *INVALID_TOKEN)
            access = uuid.uuid4().hex
            self.state.access_tokens[access] = (self.state.clock()
                                                + self.state.access_ttl)
        self._send_json(200, {"access": access,
                              "access_expires": self.state.access_ttl})

    # -- institutions -------------------------------------------------------

    @staticmethod
    def _public_institution(bank):
        return {k: v for k, v in bank.items() if not k.startswith("_")}

    def api_institutions(self, body):
        country = self.query.get("country", "").upper()
        banks = [self._public_institution(b) for b in data.INSTITUTIONS
                 if not country or country in b["countries"]]
        self._send_json(200, banks)

    def api_institution(self, body, institution_id):
        bank = data.INSTITUTIONS_BY_ID.get(institution_id)
        if not bank:
            raise _error(404, "Not found.", "Not found.")
        self._send_json(200, self._public_institution(bank))

    # -- agreements & requisitions -----------------------------------------

    def api_agreement_create(self, body):
        bank = data.INSTITUTIONS_BY_ID.get(body.get("institution_id"))
        if not bank:
            raise _field_error(400, "institution_id", "Unknown Institution ID",
                               "Get Institution IDs from /institutions/?country="
                               f"XX (got {body.get('institution_id')!r})")
        history = int(body.get("max_historical_days", 90))
        access = int(body.get("access_valid_for_days", 90))
        max_history = int(bank["transaction_total_days"])
        max_access = int(bank["max_access_valid_for_days"])
        if not 0 < history <= max_history:
            raise _field_error(400, "max_historical_days",
                               "Incorrect max_historical_days",
                               f"max_historical_days must be > 0 and <= "
                               f"{max_history} for {bank['id']}")
        if not 0 < access <= max_access:
            raise _field_error(400, "access_valid_for_days",
                               "Incorrect access_valid_for_days",
                               f"access_valid_for_days must be > 0 and <= "
                               f"{max_access}")
        scope = body.get("access_scope") or list(SCOPES)
        if not set(scope) <= set(SCOPES):
            raise _field_error(400, "access_scope", "Unknown access scope",
                               f"Choose from {', '.join(SCOPES)}")
        with self.state.lock:
            agreement = {
                "id": self.state.new_id("agreement"),
                "created": self.state.now().isoformat(),
                "institution_id": bank["id"],
                "max_historical_days": history,
                "access_valid_for_days": access,
                "access_scope": scope,
                "accepted": None,
            }
            self.state.agreements[agreement["id"]] = agreement
        self._send_json(201, agreement)

    def _agreement(self, agreement_id):
        agreement = self.state.agreements.get(agreement_id)
        if not agreement:
            raise _error(404, "Not found.", "Not found.")
        return agreement

    def api_agreement_get(self, body, agreement_id):
        with self.state.lock:
            self._send_json(200, dict(self._agreement(agreement_id)))

    def api_agreement_delete(self, body, agreement_id):
        with self.state.lock:
            self._agreement(agreement_id)
            del self.state.agreements[agreement_id]
        self._send_json(200, {"summary": "End User Agreement deleted",
                              "detail": f"End User Agreement {agreement_id} deleted"})

    def api_requisition_create(self, body):
        redirect = body.get("redirect") or ""
        if not re.match(r"https?://", redirect):
            raise _field_error(400, "redirect", "Invalid redirect URL",
                               "Enter a valid http(s) URL.")
        bank = data.INSTITUTIONS_BY_ID.get(body.get("institution_id"))
        if not bank:
            raise _field_error(400, "institution_id", "Unknown Institution ID",
                               "Get Institution IDs from /institutions/")
        reference = str(body.get("reference") or uuid.uuid4())
        with self.state.lock:
            agreement_id = body.get("agreement")
            if agreement_id:
                agreement = self.state.agreements.get(agreement_id)
                if not agreement or agreement["institution_id"] != bank["id"]:
                    raise _field_error(400, "agreement", "Incorrect agreement",
                                       "Agreement does not exist or is for "
                                       "another institution")
            else:  # the real API makes a default 90-day agreement
                agreement_id = None
            if any(r["reference"] == reference
                   for r in self.state.requisitions.values()):
                raise _field_error(400, "reference",
                                   "Client reference must be unique",
                                   f"Reference {reference!r} already exists")
            req_id = self.state.new_id("requisition")
            requisition = {
                "id": req_id,
                "created": self.state.now().isoformat(),
                "redirect": redirect,
                "status": "CR",
                "institution_id": bank["id"],
                "agreement": agreement_id,
                "reference": reference,
                "accounts": [],
                "user_language": str(body.get("user_language") or "EN"),
                "link": f"{self.server.url}/psd2/start/{req_id}/{bank['id']}",
                "ssn": None,
                "account_selection": False,
                "redirect_immediate": False,
            }
            self.state.requisitions[req_id] = requisition
        self._send_json(201, requisition)

    def _requisition(self, req_id):
        req = self.state.requisitions.get(req_id)
        if not req:
            raise _error(404, "Not found.", "Not found.")
        self._refresh_status(req)
        return req

    def _refresh_status(self, req):
        """Expire a linked requisition once its agreement's days are over."""
        if req["status"] == "LN" and self._expired(req):
            req["status"] = "EX"
            for account_id in req["accounts"]:
                self.state.accounts[account_id]["status"] = "EXPIRED"

    def _expired(self, req):
        agreement = self.state.agreements.get(req["agreement"] or "")
        if not agreement or not agreement["accepted"]:
            return False
        accepted = datetime.fromisoformat(agreement["accepted"]).date()
        end = accepted + timedelta(days=agreement["access_valid_for_days"])
        return self.state.today >= end

    def api_requisition_get(self, body, req_id):
        with self.state.lock:
            self._send_json(200, dict(self._requisition(req_id)))

    def api_requisition_list(self, body):
        with self.state.lock:
            results = [dict(self._requisition(k)) for k in self.state.requisitions]
        self._send_json(200, {"count": len(results), "next": None,
                              "previous": None, "results": results})

    def api_requisition_delete(self, body, req_id):
        with self.state.lock:
            req = self._requisition(req_id)
            req["status"] = "EX"
            for account_id in req["accounts"]:
                self.state.accounts.pop(account_id, None)
            self.state.agreements.pop(req["agreement"] or "", None)
            del self.state.requisitions[req_id]
        self._send_json(200, {"summary": "Requisition deleted",
                              "detail": f"Requisition {req_id} deleted with all "
                                        "its End User Agreements"})

    # -- consent page -------------------------------------------------------

    def _consent_page(self, method, body):
        match = _LINK.match(self.url_path)
        with self.state.lock:
            req = self.state.requisitions.get(match.group(1)) if match else None
            if not req:
                return self._send_html(404, _PAGE.format(
                    title="Link not found",
                    body="<p>This consent link does not exist.</p>"))
            bank = data.INSTITUTIONS_BY_ID[req["institution_id"]]
            templates = bank["_accounts"]
            if req["status"] in ("LN", "EX", "RJ"):
                return self._send_html(400, _PAGE.format(
                    title="RequisitionLinkReused",
                    body="<p>This link has already been used for authorization "
                         "and is no longer valid.</p>"))
            if method == "GET":
                req["status"] = "GC"
                rows = "".join(
                    f'<li><label><input type="checkbox" name="account" '
                    f'value="{i}" checked/> {html.escape(name)} ({currency}) '
                    f'{data.account_iban(bank["id"], i)}</label></li>'
                    for i, (name, currency, _p) in enumerate(templates))
                form = _CONSENT_FORM.format(
                    bank=html.escape(bank["name"]), rows=rows,
                    action=html.escape(self.url_path))
                return self._send_html(200, _PAGE.format(
                    title=f"Connect {html.escape(bank['name'])}", body=form))
            action = (body.get("action") or ["authorise"])[-1]
            if action != "authorise":
                req["status"] = "RJ"
                location = _with_query(req["redirect"], {
                    "ref": req["reference"], "error": "UserCancelledSession",
                    "details": "User cancelled the session."})
            else:
                chosen = sorted({int(i) for i in body.get("account", [])
                                 if str(i).isdigit() and int(i) < len(templates)})
                self._link_accounts(req, bank, chosen or range(len(templates)))
                location = _with_query(req["redirect"], {"ref": req["reference"]})
        self.sent_status = 302
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _link_accounts(self, req, bank, indexes):
        if not req["agreement"]:
            agreement_id = self.state.new_id("agreement")
            self.state.agreements[agreement_id] = {
                "id": agreement_id, "created": self.state.now().isoformat(),
                "institution_id": bank["id"], "max_historical_days": 90,
                "access_valid_for_days": 90, "access_scope": list(SCOPES),
                "accepted": None,
            }
            req["agreement"] = agreement_id
        self.state.agreements[req["agreement"]]["accepted"] = (
            self.state.now().isoformat())
        for index in indexes:
            name, currency, product = bank["_accounts"][index]
            account_id = self.state.new_id("account")
            self.state.accounts[account_id] = {
                "id": account_id,
                "created": self.state.now().isoformat(),
                "last_accessed": None,
                "iban": data.account_iban(bank["id"], index),
                "institution_id": bank["id"],
                "status": "READY",
                "owner_name": data.OWNER,
                "currency": currency,
                "name": name,
                "product": product,
                "requisition": req["id"],
                "linked_on": self.state.today.isoformat(),
            }
            req["accounts"].append(account_id)
        req["status"] = "LN"

    # -- accounts -----------------------------------------------------------

    def _known_account(self, account_id):
        """Return the account (404 when unknown), its consent status brought up to
        today; ``(account, requisition)``."""
        account = self.state.accounts.get(account_id)
        if not account:
            raise _error(404, "Account not found",
                         f"Account ID {account_id} not found")
        req = self.state.requisitions.get(account["requisition"])
        if req:
            self._refresh_status(req)
        return account, req

    def _account(self, account_id, scope=None):
        """Return the account after consent, quota and bank checks."""
        account, req = self._known_account(account_id)
        if account["status"] == "EXPIRED":
            raise _error(401, "End User Agreement (EUA) expired",
                         f"EUA {req and req['agreement']} has expired; the end "
                         "user must reconnect the account.", "AccessExpiredError")
        if scope in ("balances", "transactions"):
            features = data.INSTITUTIONS_BY_ID[account["institution_id"]][
                "supported_features"]
            if (data.FEATURE_MANUAL_REFRESH in features
                    and account["linked_on"] != self.state.today.isoformat()):
                raise _error(400, "Strong customer authentication required",
                             "The institution requires the end user to renew "
                             "the connection (MFA) before data can be refreshed.",
                             "InstitutionError")
        if scope in SCOPES:
            limit = self.state.account_daily_limit
            used = self.state.quota[(account_id, scope, self.state.today)]
            if limit is not None and used >= limit:
                raise ApiError(429, {
                    "summary": f"Couldn't update {scope}",
                    "detail": "Daily request limit set by the Institution has "
                              "been exceeded.",
                    "type": "RateLimitError", "status_code": 429,
                }, self._limit_headers(account_id, scope, used))
        return account

    def _count_success(self, account_id, scope):
        key = (account_id, scope, self.state.today)
        self.state.quota[key] += 1
        return self._limit_headers(account_id, scope, self.state.quota[key])

    def _limit_headers(self, account_id, scope, used):
        now = datetime.now(timezone.utc)
        minute = int(now.timestamp() // 60)
        self.state.minute[minute] += 1
        midnight = datetime.combine(now.date() + timedelta(days=1),
                                    datetime.min.time(), timezone.utc)
        limit = self.state.account_daily_limit
        headers = {
            "HTTP_X_RATELIMIT_LIMIT": API_LIMIT_PER_MINUTE,
            "HTTP_X_RATELIMIT_REMAINING": max(
                0, API_LIMIT_PER_MINUTE - self.state.minute[minute]),
            "HTTP_X_RATELIMIT_RESET": 60 - now.second,
        }
        if limit is not None:
            headers.update({
                "HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_LIMIT": limit,
                "HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_REMAINING": max(0, limit - used),
                "HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_RESET": int(
                    (midnight - now).total_seconds()),
            })
        return headers

    def api_account_get(self, body, account_id):
        with self.state.lock:
            account, _req = self._known_account(account_id)
            account["last_accessed"] = self.state.now().isoformat()
            meta = {k: account[k] for k in ("id", "created", "last_accessed",
                                            "iban", "institution_id", "status",
                                            "owner_name")}
        self._send_json(200, meta)

    def api_account_details(self, body, account_id):
        with self.state.lock:
            account = self._account(account_id, "details")
            headers = self._count_success(account_id, "details")
            details = {
                "resourceId": account["id"],
                "iban": account["iban"],
                "currency": account["currency"],
                "ownerName": account["owner_name"],
                "name": account["name"],
                "product": account["product"],
                "cashAccountType": "CACC",
            }
        self._send_json(200, {"account": details}, headers)

    def _generation_args(self, account):
        bank = data.INSTITUTIONS_BY_ID[account["institution_id"]]
        volume = self.state.volumes.get(account["iban"])
        return account["iban"], volume, not bank["_transaction_ids"], bank

    def api_account_balances(self, body, account_id):
        with self.state.lock:
            account = self._account(account_id, "balances")
            iban, volume, duplicates, _bank = self._generation_args(account)
            today = self.state.today
        yesterday = today - timedelta(days=1)
        closing = data.booked_balance(iban, yesterday, volume, duplicates)
        booked_today = data.booked_balance(iban, today, volume, duplicates)
        pending = sum(o.cents for day in _pending_days(today)
                      for o in data.originated(iban, day, volume, duplicates)
                      if o.delayed)
        currency = account["currency"]

        def entry(cents, kind, day):
            return {"balanceAmount": {"amount": data.cents_to_str(cents),
                                      "currency": currency},
                    "balanceType": kind, "referenceDate": day.isoformat()}

        with self.state.lock:
            headers = self._count_success(account_id, "balances")
        self._send_json(200, {"balances": [
            entry(closing, "closingBooked", yesterday),
            entry(booked_today, "interimBooked", today),
            entry(booked_today + pending, "interimAvailable", today),
        ]}, headers)

    def api_account_transactions(self, body, account_id):
        with self.state.lock:
            account = self._account(account_id, "transactions")
            iban, volume, duplicates, bank = self._generation_args(account)
            today = self.state.today
            req = self.state.requisitions.get(account["requisition"])
            agreement = self.state.agreements.get(req["agreement"]) if req else None
            history = min(int(bank["transaction_total_days"]),
                          int(agreement["max_historical_days"]) if agreement
                          else 90)
        try:
            date_from = _query_date(self.query, "date_from",
                                    today - timedelta(days=history))
            date_to = _query_date(self.query, "date_to", today)
        except ValueError as error:
            field, message = str(error).split(":", 1)
            raise _field_error(400, field, "Invalid date", message.strip()) from None
        if date_from > date_to:
            raise _field_error(400, "date_from", "Date from is after date to",
                               "date_from must be earlier than date_to")
        oldest = today - timedelta(days=history)
        if date_from < oldest:
            raise _field_error(
                400, "date_from", "Date From is out of range",
                f"date_from must be on or after {oldest.isoformat()}: "
                f"{bank['name']} gives {history} days of history")
        with self.state.lock:
            headers = self._count_success(account_id, "transactions")
        options = {"iban": iban, "currency": account["currency"],
                   "with_ids": bool(bank["_transaction_ids"])}
        chunks = _transactions_json(date_from, min(date_to, today), today,
                                    volume, duplicates, options,
                                    self.state.now())
        self._send_stream(200, chunks, headers)


def _pending_days(today):
    return [today - timedelta(days=n) for n in range(data.PENDING_DAYS)]


def _query_date(query, name, default):
    value = query.get(name)
    if not value:
        return default
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"{name}: expected YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: not a real date: {value!r}") from None


def _transactions_json(date_from, date_to, today, volume, duplicates, options,
                       now):
    """Yield the transactions JSON in pieces, newest booking date first."""
    iban = options["iban"]
    yield b'{"transactions": {"booked": ['
    first = True
    day = date_to
    while day >= date_from:
        for origin, value_day in data.booked_on(iban, day, volume, duplicates):
            txn = data.render(origin, value_day, pending=False, **options)
            yield (b"" if first else b", ") + json.dumps(txn).encode()
            first = False
        day -= timedelta(days=1)
    yield b'], "pending": ['
    first = True
    for value_day in _pending_days(today):
        if not date_from <= value_day <= date_to:
            continue
        for origin in data.originated(iban, value_day, volume, duplicates):
            if origin.delayed:
                txn = data.render(origin, value_day, pending=True, **options)
                yield (b"" if first else b", ") + json.dumps(txn).encode()
                first = False
    yield b']}, "last_updated": ' + json.dumps(now.isoformat()).encode() + b"}"


def _with_query(url, params):
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}{urlencode(params)}"


_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"/><title>{title} - GoCardless sandbox</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:3em auto}}
button{{padding:.5em 1.5em;margin-right:1em}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""

_CONSENT_FORM = """<p>Sandbox bank <strong>{bank}</strong> asks you to share these
accounts (balances, details and transactions):</p>
<form method="post" action="{action}" class="o_sandbox_consent">
<ul>{rows}</ul>
<button type="submit" name="action" value="authorise" id="sandbox-authorise"
>Authorise</button>
<button type="submit" name="action" value="cancel" id="sandbox-cancel"
>Cancel</button>
</form>
"""

_INDEX = """
<p>API root: <code>{url}</code> (same paths as
<code>https://bankaccountdata.gocardless.com</code>).</p>
<p>Demo credentials: secret_id <code>{secret_id}</code>,
secret_key <code>{secret_key}</code>.</p>
<p>Control API: POST JSON to <code>/_sandbox/today</code>, <code>faults</code>,
<code>volume</code>, <code>limits</code>, <code>tokens</code>, <code>reset</code>;
GET <code>/_sandbox/log</code> and <code>/_sandbox/state</code>.</p>
"""
