from odoo import api, fields, models
from odoo.fields import Command


class AccountBankStatementLineMatch(models.TransientModel):
    """Match a transaction with open invoices, bills and payments."""

    _name = "account.bank.statement.line.match"
    _description = "Bank Matching: Match"

    st_line_id = fields.Many2one(
        "account.bank.statement.line", string="Transaction", required=True, readonly=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="st_line_id.company_id")
    currency_id = fields.Many2one(related="st_line_id.currency_id")
    amount = fields.Monetary(related="st_line_id.amount")
    payment_ref = fields.Char(related="st_line_id.payment_ref")
    partner_id = fields.Many2one(
        "res.partner", string="Partner", check_company=True,
        help="Only propose the open items of this partner.",
    )
    candidate_ids = fields.One2many(
        "account.bank.statement.line.match.candidate", "wizard_id", string="Suggestions",
    )

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        st_line = self.env["account.bank.statement.line"].browse(defaults.get("st_line_id"))
        if st_line and "partner_id" in fields_list and "partner_id" not in defaults:
            defaults["partner_id"] = st_line.partner_id.id
        if st_line and "candidate_ids" in fields_list:
            partner = self.env["res.partner"].browse(defaults.get("partner_id"))
            defaults["candidate_ids"] = self._candidate_commands(st_line, partner)
        return defaults

    @api.model
    def _candidate_commands(self, st_line, partner):
        suggestions = st_line._bank_matching_suggestions(partner=partner or None)
        return [Command.clear()] + [
            Command.create({"move_line_id": aml.id, "score": st_line._bank_matching_score(aml)})
            for aml in suggestions
        ]

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.st_line_id:
            self.candidate_ids = self._candidate_commands(self.st_line_id, self.partner_id)

    def action_confirm(self):
        """Reconcile the transaction with the selected items (in the order shown)."""
        self.ensure_one()
        selected = self.candidate_ids.filtered("selected").move_line_id
        self.st_line_id._bank_matching_reconcile_with(selected)
        return {"type": "ir.actions.act_window_close"}
