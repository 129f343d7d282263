import logging
import re
import uuid
from contextlib import contextmanager
from datetime import timedelta, timezone

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..providers import exceptions as provider_exceptions
from ..providers.gocardless import (
    DEFAULT_BASE_URL,
    GoCardlessClient,
    gocardless_error_mapper,
)
from ..providers.transport import HttpTransport

_logger = logging.getLogger(__name__)

PARAM_PREFIX = "account_online_synchronization."
CALLBACK_PATH = "/account_online_synchronization/callback"
# E.164: "+", a country code not starting with 0, at most 15 digits in all. Fewer than 8
# digits is no real subscriber number anywhere.
# One number, not a (connect, read) pair: Odoo's test request guard compares the timeout
# with an int and fails on tuples. It bounds each socket wait, not the whole download.
REQUEST_TIMEOUT = 60.0
PHONE_RE = re.compile(r"\+[1-9]\d{7,14}")
PHONE_SEPARATORS = re.compile(r"[\s.\-/()]")

# Fields only the synchronization itself may change: a user writing them through the
# ORM (RPC included) could lift a block or fake a healthy connection.
PROTECTED_FIELDS = {
    "state", "security_window_start", "security_request_count",
    "security_failure_count", "consent_reference", "consent_warning_level",
}


def normalize_phone(value):
    """Return ``value`` as ``+<digits>`` or None when it is no E.164-like number.

    Spaces, dots, dashes, slashes and parentheses are ignored; a leading ``00`` counts
    as ``+``.
    """
    if not value:
        return None
    compact = PHONE_SEPARATORS.sub("", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact if PHONE_RE.fullmatch(compact) else None


class SyncInterrupted(Exception):
    """A committed batch lost the connection's lock or the cron's time: stop here, the
    next run resumes after the last committed batch."""


class _CountingTransport(HttpTransport):
    """The provider transport, counting logical requests for the suspicious-activity
    guard (retries of one request count once)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_count = 0

    def request(self, method, url, **kwargs):
        """Count, then send through the pure transport (timeouts, retries, mapping)."""
        self.request_count += 1
        return super().request(method, url, **kwargs)


class AccountOnlineLink(models.Model):
    """A connection to one institution through one aggregator provider.

    Suspicious activity guard (per connection, over a sliding window of
    ``SECURITY_WINDOW``): more than ``SECURITY_MAX_FAILURES`` failed authentications
    (credentials or token refused by the provider, consent refused or cancelled at the
    bank) or more than ``SECURITY_MAX_REQUESTS`` provider requests block the connection:
    every provider request is then refused until an accounting administrator confirms the
    connection's phone number (``account.online.link.reactivate``). Normal use is far
    below: a synchronization costs about three requests per account, banks allow four
    data calls per account and day, the cron runs twice a day.
    """

    _name = "account.online.link"
    _description = "Bank Connection"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"

    SECURITY_WINDOW = timedelta(hours=1)
    SECURITY_MAX_FAILURES = 5
    SECURITY_MAX_REQUESTS = 300
    SYNC_BATCH_SIZE = 500
    CONSENT_WARNING_DAYS = (7, 1)

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    provider = fields.Selection(
        selection="_selection_provider", required=True, default="gocardless", tracking=True
    )
    state = fields.Selection(
        [
            ("connected", "Connected"),
            ("error", "Error"),
            ("disconnected", "Not Connected"),
            ("blocked", "Blocked"),
        ],
        required=True,
        default="disconnected",
        readonly=True,
        tracking=True,
    )
    institution_identifier = fields.Char(string="Institution ID", readonly=True)
    institution_name = fields.Char(string="Institution", readonly=True)
    institution_beta = fields.Boolean(string="Beta Institution", readonly=True)
    institution_auto_fetch = fields.Boolean(
        string="Unattended Fetching", readonly=True, default=True,
        help="The bank answers the scheduled synchronization (without the user present).",
    )
    institution_manual_refresh = fields.Boolean(
        string="MFA on Refresh", readonly=True,
        help="The bank asks for a strong authentication for every refresh: the connection "
        "is only synchronized when a user asks for it.",
    )
    history_days = fields.Integer(
        string="History (days)", readonly=True, default=90,
        help="How far back the bank gives transactions under this consent.",
    )
    consent_expiry = fields.Datetime(
        string="Consent Expires", readonly=True,
        help="The bank's consent ends then; reconnect before to keep synchronizing.",
    )
    consent_warning_level = fields.Integer(
        readonly=True, copy=False,
        help="Technical: 1 once the 7-day warning was given, 2 after the 1-day one.",
    )
    consent_reference = fields.Char(
        readonly=True, copy=False, index="btree_not_null", groups="base.group_system",
        help="Random reference of the consent in progress, echoed by the bank's redirect.",
    )
    auto_sync = fields.Boolean(
        string="Automatic Synchronization", default=True, tracking=True,
        help="Synchronize with the scheduled action (every 12 hours).",
    )
    auto_fetch_warning_sent = fields.Boolean(readonly=True, copy=False)
    last_refresh = fields.Datetime(readonly=True)
    error_reference = fields.Char(readonly=True, copy=False)
    error_description = fields.Text(readonly=True, copy=False)
    phone_number = fields.Char(
        tracking=True,
        help="Phone number protecting the connection: needed to reactivate it when it was "
        "blocked for suspicious activity.",
    )
    provider_data = fields.Json(
        groups="base.group_system", copy=False,
        help="Provider state (tokens, consent ids). Readable by administrators only.",
    )
    security_window_start = fields.Datetime(readonly=True, copy=False)
    security_request_count = fields.Integer(readonly=True, copy=False)
    security_failure_count = fields.Integer(readonly=True, copy=False)
    account_online_account_ids = fields.One2many(
        "account.online.account", "account_online_link_id", string="Online Accounts"
    )
    pending_transaction_ids = fields.One2many(
        "account.online.pending.transaction", "account_online_link_id",
        string="Pending Transactions", readonly=True,
    )
    pending_transaction_count = fields.Integer(compute="_compute_pending_transaction_count")

    @api.model
    def _selection_provider(self):
        """Return the providers available; each provider module appends itself via super()."""
        return [("gocardless", "GoCardless Bank Account Data")]

    @api.depends("pending_transaction_ids")
    def _compute_pending_transaction_count(self):
        groups = self.env["account.online.pending.transaction"]._read_group(
            [("account_online_link_id", "in", self.ids)], ["account_online_link_id"],
            ["__count"],
        )
        counts = {link.id: count for link, count in groups}
        for link in self:
            link.pending_transaction_count = counts.get(link.id, 0)

    @api.constrains("phone_number")
    def _check_phone_number(self):
        for link in self:
            if link.phone_number and normalize_phone(link.phone_number) != link.phone_number:
                raise ValidationError(self._phone_error(link.phone_number))

    @api.model_create_multi
    def create(self, vals_list):
        """Store phone numbers normalized (``+<digits>``)."""
        for vals in vals_list:
            self._normalize_phone_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        """Keep the synchronization's own fields out of users' reach.

        ``state`` and the guard counters only change through the synchronization (sudo);
        the phone number of a blocked connection cannot change (it is the key to unblock).
        """
        if not self.env.su:
            if PROTECTED_FIELDS & set(vals):
                raise AccessError(self.env._(
                    "The state of a bank connection is managed by the synchronization."
                ))
            if "phone_number" in vals and any(link.state == "blocked" for link in self):
                raise UserError(self.env._(
                    "The phone number of a blocked connection cannot change: reactivate it "
                    "first."
                ))
        self._normalize_phone_vals(vals)
        return super().write(vals)

    def _normalize_phone_vals(self, vals):
        if vals.get("phone_number"):
            phone = normalize_phone(vals["phone_number"])
            if not phone:
                raise ValidationError(self._phone_error(vals["phone_number"]))
            vals["phone_number"] = phone

    def _phone_error(self, value):
        return self.env._(
            "%(phone)s is not a valid phone number: use the international format, e.g. "
            "+32 470 12 34 56.",
            phone=value,
        )

    # -- actions ----------------------------------------------------------------------

    def action_fetch_transactions(self):
        """"Fetch Transactions" / "Synchronize Now": synchronize the connection now."""
        for link in self:
            link._sync(manual=True)
        return self._notify_result()

    def action_reconnect(self):
        """"Reconnect": run the bank's consent flow again (accounts re-matched by IBAN)."""
        self.ensure_one()
        return self._start_consent(renew=True)

    def action_update_credentials(self):
        """"Update Credentials": renew the consent of a working connection."""
        self.ensure_one()
        return self._start_consent(renew=True)

    def action_fetch_accounts(self):
        """"Fetch Accounts": refresh the accounts of the consent, then choose journals."""
        self.ensure_one()
        session_id = self._get_provider_data().get("session")
        if not session_id:
            raise UserError(self.env._(
                "%(name)s has no bank consent yet: reconnect it first.", name=self.name
            ))
        with self._provider_session() as client:
            try:
                accounts = client.list_accounts(session_id)
            except provider_exceptions.ProviderError as error:
                self._handle_provider_error(error)
                return self._notify_result()
        self._update_accounts(accounts)
        return self.action_open_account_selection()

    def action_open_account_selection(self):
        """Open the wizard choosing which accounts to synchronize into which journals."""
        self.ensure_one()
        wizard = self.env["account.online.account.selection"].create(
            {"account_online_link_id": self.id}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Choose the Accounts to Synchronize"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_open_reactivate(self):
        """Open the wizard that unblocks the connection by confirming its phone number."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reactivate the Connection"),
            "res_model": "account.online.link.reactivate",
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_online_link_id": self.id},
        }

    def action_open_pending_transactions(self):
        """List the transactions the bank has not booked yet."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Pending Transactions"),
            "res_model": "account.online.pending.transaction",
            "view_mode": "list",
            "domain": [("account_online_link_id", "=", self.id)],
        }

    def _notify_result(self):
        if len(self) == 1 and self.state in ("error", "disconnected", "blocked"):
            kind, message = "danger", self.error_description or self.env._("Not connected.")
        else:
            kind, message = "success", self.env._("Synchronization done.")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # -- provider glue ----------------------------------------------------------------

    def _get_provider_data(self):
        return dict(self.sudo().provider_data or {})

    def _set_provider_data(self, **values):
        """Merge ``values`` into the system-only provider state (None removes a key)."""
        data = self._get_provider_data()
        for key, value in values.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        self.sudo().provider_data = data

    def _get_provider_client(self):
        """Return the pure provider client of this connection.

        Providers extend by ``super()``: handle your own ``provider`` code, else call the
        parent. A blocked connection gets no client: every request is refused.
        """
        if len(self) > 1:
            raise ValueError("One connection at a time")
        if self.state == "blocked":
            raise UserError(self.env._(
                "The connection %(name)s is blocked after suspicious activity: an "
                "administrator must reactivate it by confirming its phone number.",
                name=self.name,
            ))
        if self.provider == "gocardless":
            return self._gocardless_get_client()
        raise UserError(self.env._("Unknown provider %(provider)s.", provider=self.provider))

    def _gocardless_get_client(self):
        """Build a :class:`GoCardlessClient` from the system parameters.

        ``account_online_synchronization.gocardless_secret_id`` / ``_secret_key``: API
        credentials; ``..._url``: API root (the sandbox in demos and tests). Tokens are
        kept in ``provider_data`` so a cron does not ask for new ones every run.
        """
        params = self.env["ir.config_parameter"].sudo()
        secret_id = params.get_param(PARAM_PREFIX + "gocardless_secret_id")
        secret_key = params.get_param(PARAM_PREFIX + "gocardless_secret_key")
        if not (secret_id and secret_key):
            raise UserError(self.env._(
                "GoCardless is not configured: an administrator must set the system "
                "parameters %(id)s and %(key)s.",
                id=PARAM_PREFIX + "gocardless_secret_id",
                key=PARAM_PREFIX + "gocardless_secret_key",
            ))
        base_url = params.get_param(PARAM_PREFIX + "gocardless_url") or DEFAULT_BASE_URL
        link = self

        def save_tokens(state):
            if link.id:
                link._set_provider_data(gocardless_tokens=state.to_dict())

        return GoCardlessClient(
            secret_id, secret_key, base_url=base_url,
            token_state=self._get_provider_data().get("gocardless_tokens"),
            transport=_CountingTransport(
                error_mapper=gocardless_error_mapper, timeout=REQUEST_TIMEOUT, max_retries=2,
                max_retry_wait=30.0,
            ),
            on_token_update=save_tokens,
        )

    @contextmanager
    def _provider_session(self):
        """Yield the provider client; afterwards count its requests for the guard.

        The counting happens after the caller's savepoint, so a failed synchronization
        still counts (and its failures can block the connection).
        """
        client = self._get_provider_client()
        try:
            yield client
        finally:
            count = getattr(client.transport, "request_count", 0)
            if self.id and count:
                self._security_record(requests=count)

    def _security_record(self, requests=0, failures=0):
        """Add to the guard's counters; block the connection past a threshold."""
        self.ensure_one()
        now = fields.Datetime.now()
        sudo = self.sudo()
        start = sudo.security_window_start
        if not start or now - start > self.SECURITY_WINDOW:
            values = {"security_window_start": now, "security_request_count": requests,
                      "security_failure_count": failures}
        else:
            values = {"security_request_count": sudo.security_request_count + requests,
                      "security_failure_count": sudo.security_failure_count + failures}
        sudo.write(values)
        if self.state == "blocked":
            return
        if values["security_failure_count"] > self.SECURITY_MAX_FAILURES:
            reason = self.env._(
                "%(count)s failed authentications within an hour",
                count=values["security_failure_count"],
            )
        elif values["security_request_count"] > self.SECURITY_MAX_REQUESTS:
            reason = self.env._(
                "%(count)s requests to the bank within an hour",
                count=values["security_request_count"],
            )
        else:
            return
        sudo.write({"state": "blocked", "error_description": reason, "error_reference": False})
        self.message_post(body=self.env._(
            "The connection is blocked after suspicious activity (%(reason)s). No request "
            "reaches the bank until an administrator reactivates it by confirming the "
            "connection's phone number.",
            reason=reason,
        ))
        _logger.info("Bank connection %s blocked: %s", self.id, reason)

    def _reactivate(self, phone_number):
        """Unblock after the phone number was confirmed; return True on success."""
        self.ensure_one()
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(self.env._("Only an accounting administrator can reactivate "
                                         "a connection."))
        given = normalize_phone(phone_number)
        if not given or given != self.phone_number:
            self.message_post(body=self.env._(
                "Reactivation refused: %(user)s gave a phone number that does not match.",
                user=self.env.user.name,
            ))
            return False
        session = self._get_provider_data().get("session")
        self.sudo().write({
            "state": "connected" if session else "disconnected",
            "security_window_start": False,
            "security_request_count": 0,
            "security_failure_count": 0,
            "error_description": False,
        })
        self.message_post(body=self.env._(
            "Reactivated by %(user)s after confirming the phone number.",
            user=self.env.user.name,
        ))
        return True

    def _handle_provider_error(self, error):
        """Record a provider failure: state, description, support reference, chatter."""
        self.ensure_one()
        if isinstance(error, provider_exceptions.ReconnectRequiredError):
            state = "disconnected"
            description = self.env._(
                "The bank consent ended (%(detail)s): reconnect the connection.",
                detail=error.message,
            )
        elif isinstance(error, provider_exceptions.AuthenticationError):
            state = "error"
            description = self.env._(
                "The provider refused the credentials (%(detail)s).", detail=error.message
            )
        elif isinstance(error, provider_exceptions.InstitutionError) \
                and self.institution_manual_refresh:
            state = "error"
            description = self.env._(
                "%(bank)s asks for a new strong authentication before data can be "
                "refreshed (%(detail)s): use Update Credentials, then Fetch Transactions.",
                bank=self.institution_name or self.name, detail=error.message,
            )
        elif isinstance(error, provider_exceptions.RateLimitError) and error.daily_limit:
            state = "error"
            description = self.env._(
                "The bank's daily request limit is reached: the next synchronization will "
                "try again (%(detail)s).",
                detail=error.message,
            )
        else:
            state = "error"
            description = self.env._("Synchronization failed: %(detail)s", detail=str(error))
        values = {"error_reference": error.reference, "error_description": description}
        if self.state != "blocked":
            values["state"] = state
        self.sudo().write(values)
        self.message_post(body=Markup("%s<br/>%s <code>%s</code>") % (
            description, self.env._("Reference for support:"), error.reference,
        ))
        _logger.info("Bank connection %s: %s (%s, reference %s)", self.id,
                     type(error).__name__, error.code, error.reference)
        if isinstance(error, provider_exceptions.AuthenticationError):
            self._security_record(failures=1)

    # -- consent ----------------------------------------------------------------------

    def _callback_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        return base.rstrip("/") + CALLBACK_PATH

    def _start_consent(self, institution_identifier=None, renew=False):
        """Create a consent at the provider; return the action sending the user there."""
        self.ensure_one()
        reference = uuid.uuid4().hex
        language = (self.env.lang or "en")[:2]
        old_session = self._get_provider_data().get("session")
        try:
            with self._provider_session() as client:
                if renew and old_session:
                    session = client.renew_connection(
                        old_session, self._callback_url(), reference, language=language
                    )
                else:
                    session = client.start_connection(
                        institution_identifier or self.institution_identifier,
                        self._callback_url(), reference, language=language,
                    )
        except provider_exceptions.ProviderError as error:
            raise UserError(self.env._(
                "The bank connection could not start: %(error)s", error=str(error)
            )) from error
        self.sudo().consent_reference = reference
        self._set_provider_data(pending_session=session.id)
        return {"type": "ir.actions.act_url", "url": session.url, "target": "self"}

    @api.model
    def _find_by_consent_reference(self, reference):
        """Return the connection waiting for ``reference`` (or an empty recordset).

        The reference is random (uuid4), so knowing it proves the redirect belongs to
        that consent; the caller still checks the user's access to the connection.
        """
        if not reference or not re.fullmatch(r"[0-9a-f]{32}", reference):
            return self.browse()
        return self.sudo().search([("consent_reference", "=", reference)], limit=1).sudo(False)

    def _complete_consent(self, error=None):
        """Finish the consent after the bank's redirect; return True when connected."""
        self.ensure_one()
        data = self._get_provider_data()
        session_id = data.get("pending_session")
        self.sudo().consent_reference = False
        if not session_id:
            return False
        if error:
            self._set_provider_data(pending_session=None)
            self.message_post(body=self.env._(
                "The bank connection was cancelled or refused at the bank (%(error)s).",
                error=error,
            ))
            self._security_record(failures=1)
            return False
        try:
            with self._provider_session() as client:
                accounts = client.complete_connection(session_id)
                session = client.get_connection(session_id)
                institution = client.get_institution(session.institution_id) \
                    if session.institution_id else None
        except provider_exceptions.ConsentIncompleteError as error_:
            self._set_provider_data(pending_session=None)
            self.message_post(body=self.env._(
                "The bank connection was not completed (%(error)s).", error=str(error_)
            ))
            self._security_record(failures=1)
            return False
        except provider_exceptions.ProviderError as error_:
            self._handle_provider_error(error_)
            return False
        old_session = data.get("session")
        self._set_provider_data(session=session_id, pending_session=None)
        values = {
            "state": "connected",
            "error_reference": False,
            "error_description": False,
            "consent_warning_level": 0,
            "last_refresh": fields.Datetime.now(),
        }
        if session.expires_at:
            values["consent_expiry"] = session.expires_at.astimezone(timezone.utc).replace(
                tzinfo=None
            )
        if session.history_days:
            values["history_days"] = session.history_days
        if institution:
            values.update(self._institution_values(institution))
        self.sudo().write(values)
        self._update_accounts(accounts)
        if old_session and old_session != session_id:
            try:
                with self._provider_session() as client:
                    client.revoke(old_session)
            except provider_exceptions.ProviderError as error_:
                _logger.info("Could not revoke the old consent of connection %s (%s)",
                             self.id, error_.reference)
        self.message_post(body=self.env._(
            "Connected to %(bank)s: %(count)s account(s); the consent lasts until %(date)s.",
            bank=self.institution_name or self.name, count=len(accounts),
            date=self.consent_expiry and fields.Date.to_string(self.consent_expiry.date())
            or "?",
        ))
        return True

    @api.model
    def _institution_values(self, institution):
        return {
            "institution_identifier": institution.id,
            "institution_name": institution.name,
            "institution_beta": institution.beta,
            "institution_auto_fetch": institution.supports_auto_fetch,
            "institution_manual_refresh": institution.requires_manual_refresh,
        }

    def _update_accounts(self, online_accounts):
        """Create or update the online accounts; a renewed consent's new account ids are
        matched to the existing accounts (and so to their journals) by IBAN."""
        self.ensure_one()
        Account = self.env["account.online.account"]
        existing = self.account_online_account_ids
        by_id = {a.online_identifier: a for a in existing}
        by_iban = {a.iban: a for a in existing if a.iban}
        currencies = {}
        for online in online_accounts:
            iban = (online.iban or "").replace(" ", "").upper()
            if online.currency and online.currency not in currencies:
                currencies[online.currency] = self.env["res.currency"].with_context(
                    active_test=False
                ).search([("name", "=", online.currency)], limit=1)
            values = {
                "online_identifier": online.id,
                "iban": iban or False,
                "currency_id": currencies.get(online.currency, Account.currency_id).id,
            }
            account = by_id.get(online.id) or (iban and by_iban.get(iban))
            if account:
                account.sudo().write(values)
            else:
                values.update(name=online.name or iban or online.id,
                              account_online_link_id=self.id)
                Account.sudo().create(values)

    # -- synchronization --------------------------------------------------------------

    def _try_lock(self):
        """Take this connection's synchronization lock for the transaction.

        A transaction-level advisory lock: two crons, or a cron and a user, never
        synchronize one connection at once; it is released by the commit/rollback.
        """
        self.ensure_one()
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext('account_online_link'), %s)",
            [self.id],
        )
        return self.env.cr.fetchone()[0]

    def _sync(self, manual=False, commit=False):
        """Synchronize every account of the connection that is linked to a journal.

        :param manual: a user asked (MFA banks only answer then; errors are shown).
        :param commit: commit after each batch (the cron) so a retry resumes there.
        :returns: number of statement lines created.
        """
        self.ensure_one()
        if not self._try_lock():
            if manual:
                raise UserError(self.env._(
                    "%(name)s is already synchronizing: try again in a moment.",
                    name=self.name,
                ))
            _logger.info("Bank connection %s is already synchronizing; skipped", self.id)
            return 0
        if self.state == "blocked":
            if manual:
                self._get_provider_client()  # raises the blocked message
            return 0
        accounts = self.account_online_account_ids.filtered("journal_ids")
        created = 0
        with self._provider_session() as client:
            try:
                for account in accounts:
                    created += account._sync_transactions(client, commit=commit)
            except provider_exceptions.ProviderError as error:
                self._handle_provider_error(error)
                return created
            except SyncInterrupted as stop:
                _logger.info("Bank connection %s: synchronization paused (%s)", self.id, stop)
                return created
            # Before the guard counts this run's requests (which may block it).
            self.sudo().write({
                "state": "connected",
                "last_refresh": fields.Datetime.now(),
                "error_reference": False,
                "error_description": False,
            })
        return created

    def _commit_batch(self, processed=0):
        """Commit a synchronized batch (cron only), then take the lock again.

        :raises SyncInterrupted: another run took the lock in between, or the cron's
            time is up; everything committed so far stays.
        """
        remaining = self.env["ir.cron"]._commit_progress(processed)
        if not self._try_lock():
            raise SyncInterrupted("another synchronization took over")
        if remaining <= 0:
            raise SyncInterrupted("the scheduled action's time is up")

    @api.model
    def _cron_sync_connections(self):
        """Every 12 hours: synchronize the connections with automatic synchronization,
        then warn about consents ending soon."""
        links = self.sudo().search([
            ("auto_sync", "=", True), ("state", "in", ("connected", "error")),
        ])
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        for link in links:
            if not link.institution_auto_fetch:
                link._warn_no_auto_fetch()
                continue
            if link.institution_manual_refresh:
                continue  # the bank wants MFA for each refresh: manual only
            try:
                if in_cron:
                    link.with_company(link.company_id)._sync(commit=True)
                else:
                    with self.env.cr.savepoint():
                        link.with_company(link.company_id)._sync()
            except Exception as error:  # noqa: BLE001 (one connection must not stop the rest)
                if in_cron:
                    self.env.cr.rollback()  # back to the last committed batch
                reference = provider_exceptions.new_reference()
                _logger.exception("Bank connection %s failed (reference %s)", link.id,
                                  reference)
                link._handle_provider_error(provider_exceptions.ProviderError(
                    str(error), reference=reference, code="internal",
                ))
            if in_cron:
                self.env["ir.cron"]._commit_progress(1)
        self._cron_warn_consent_expiry()

    def _warn_no_auto_fetch(self):
        if self.auto_fetch_warning_sent:
            return
        self.message_post(body=self.env._(
            "%(bank)s does not allow automatic synchronization: turn Automatic "
            "Synchronization off and use Fetch Transactions instead.",
            bank=self.institution_name or self.name,
        ))
        self.sudo().auto_fetch_warning_sent = True

    @api.model
    def _cron_warn_consent_expiry(self):
        """Warn (message + activity) 7 days and 1 day before a consent ends."""
        now = fields.Datetime.now()
        longest, shortest = self.CONSENT_WARNING_DAYS
        links = self.sudo().search([
            ("state", "in", ("connected", "error")),
            ("consent_expiry", "!=", False),
            ("consent_expiry", "<=", now + timedelta(days=longest)),
            ("consent_warning_level", "<", 2),
        ])
        for link in links:
            days_left = (link.consent_expiry - now).total_seconds() / 86400
            level = 2 if days_left <= shortest else 1
            if level <= link.consent_warning_level:
                continue
            link.consent_warning_level = level
            message = link.env._(
                "The bank consent of %(name)s ends on %(date)s: use Update Credentials to "
                "renew it, or synchronization stops.",
                name=link.name, date=fields.Date.to_string(link.consent_expiry.date()),
            )
            link.message_post(body=message)
            user = link.create_uid if link.create_uid.active and not link.create_uid.share \
                else self.env.ref("base.user_admin", raise_if_not_found=False)
            link.activity_schedule(
                "mail.mail_activity_data_todo", date_deadline=link.consent_expiry.date(),
                summary=link.env._("Renew the bank consent"), note=message,
                user_id=user.id if user else self.env.uid,
            )
