from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.account_online_link import normalize_phone
from ..providers import exceptions as provider_exceptions


class AccountOnlineLinkWizard(models.TransientModel):
    """Accounting > Configuration > Add a Bank Account: find the bank, then go to its
    consent page; the bank sends the user back to the callback route."""

    _name = "account.online.link.wizard"
    _description = "Add a Bank Account"

    provider = fields.Selection(
        selection=lambda self: self.env["account.online.link"]._selection_provider(),
        required=True, default="gocardless",
    )
    country_id = fields.Many2one(
        "res.country", required=True,
        default=lambda self: self.env.company.country_id or self.env.ref("base.be"),
    )
    query = fields.Char(string="Bank Name", help="Part of the bank's name or BIC.")
    result_ids = fields.One2many(
        "account.online.institution.result", "wizard_id", string="Banks"
    )
    phone_required = fields.Boolean(compute="_compute_phone_required")
    phone_number = fields.Char(
        default=lambda self: self._default_phone_number(),
        help="Protects your bank connections: if suspicious activity blocks a connection, "
        "an administrator confirms this number to reactivate it.",
    )

    @api.model
    def _default_phone_number(self):
        return self.env["account.online.link"].search(
            [("company_id", "=", self.env.company.id), ("phone_number", "!=", False)],
            limit=1,
        ).phone_number

    def _compute_phone_required(self):
        protected = bool(self._default_phone_number())
        for wizard in self:
            wizard.phone_required = not protected

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Add a Bank Account"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_search(self):
        """List the banks of the chosen country whose name or BIC contains the query."""
        self.ensure_one()
        link = self.env["account.online.link"].new({"provider": self.provider})
        try:
            institutions = link._get_provider_client().search_institutions(
                self.country_id.code, self.query or ""
            )
        except provider_exceptions.ProviderError as error:
            raise UserError(self.env._(
                "The list of banks could not be loaded: %(error)s", error=str(error)
            )) from error
        self.result_ids.unlink()
        self.env["account.online.institution.result"].create([
            {
                "wizard_id": self.id,
                "institution_identifier": bank.id,
                "name": bank.name,
                "bic": bank.bic,
                "beta": bank.beta,
                "logo": bank.logo,
                "history_days": bank.transaction_total_days,
                "auto_fetch": bank.supports_auto_fetch,
                "manual_refresh": bank.requires_manual_refresh,
            }
            for bank in institutions[:200]
        ])
        return self._reopen()

    def _connect(self, result):
        """Create the connection for ``result`` and send the user to the bank."""
        self.ensure_one()
        phone = normalize_phone(self.phone_number)
        if self.phone_number and not phone:
            raise UserError(self.env["account.online.link"]._phone_error(self.phone_number))
        if self.phone_required and not phone:
            raise UserError(self.env._(
                "Enter a phone number to protect your first bank connection: it is needed "
                "to reactivate a connection blocked after suspicious activity."
            ))
        link = self.env["account.online.link"].create({
            "name": result.name,
            "provider": self.provider,
            "phone_number": phone,
            "history_days": result.history_days,
            "institution_identifier": result.institution_identifier,
            "institution_name": result.name,
            "institution_beta": result.beta,
            "institution_auto_fetch": result.auto_fetch,
            "institution_manual_refresh": result.manual_refresh,
            "auto_sync": result.auto_fetch and not result.manual_refresh,
        })
        return link._start_consent(result.institution_identifier)
