from odoo import api, fields, models


class AccountOnlineLink(models.Model):
    """A connection to one institution through one aggregator provider."""

    _name = "account.online.link"
    _description = "Bank Connection"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"

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
        tracking=True,
    )
    institution_identifier = fields.Char(string="Institution ID", readonly=True)
    institution_name = fields.Char(string="Institution", readonly=True)
    consent_expiry = fields.Datetime(
        string="Consent Expires", readonly=True,
        help="The bank's consent ends then; reconnect before to keep synchronizing.",
    )
    auto_sync = fields.Boolean(
        string="Automatic Synchronization", default=True, tracking=True,
        help="Synchronize with the scheduled action (every 12 hours).",
    )
    last_refresh = fields.Datetime(readonly=True)
    error_reference = fields.Char(readonly=True, copy=False)
    error_description = fields.Text(readonly=True, copy=False)
    phone_number = fields.Char(
        help="Phone number protecting the connection: needed to reactivate it when it was "
        "blocked for suspicious activity.",
    )
    provider_data = fields.Json(
        groups="base.group_system", copy=False,
        help="Provider state (tokens, consent ids). Readable by administrators only.",
    )
    account_online_account_ids = fields.One2many(
        "account.online.account", "account_online_link_id", string="Online Accounts"
    )

    @api.model
    def _selection_provider(self):
        """Return the providers available; each provider module appends itself via super()."""
        return [("gocardless", "GoCardless Bank Account Data")]
