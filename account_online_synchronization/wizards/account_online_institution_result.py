from odoo import api, fields, models


class AccountOnlineInstitutionResult(models.TransientModel):
    """One bank found by the Add a Bank Account wizard."""

    _name = "account.online.institution.result"
    _description = "Bank Found"
    _order = "name, id"

    wizard_id = fields.Many2one(
        "account.online.link.wizard", required=True, ondelete="cascade"
    )
    institution_identifier = fields.Char(required=True)
    name = fields.Char(required=True)
    bic = fields.Char(string="BIC")
    beta = fields.Boolean()
    beta_label = fields.Char(compute="_compute_beta_label", string="Status")
    logo = fields.Char()
    history_days = fields.Integer(string="History (days)")
    auto_fetch = fields.Boolean(string="Automatic Synchronization")
    manual_refresh = fields.Boolean(string="MFA on Refresh")

    @api.depends("beta")
    def _compute_beta_label(self):
        for result in self:
            result.beta_label = self.env._("Beta") if result.beta else False

    def action_connect(self):
        """Connect this bank: go to its consent page."""
        self.ensure_one()
        return self.wizard_id._connect(self)
