from odoo import api, fields, models


class AccountBankStatementLineSetAccount(models.TransientModel):
    """Book a transaction (what is left of it) on an account, with optional taxes."""

    _name = "account.bank.statement.line.set.account"
    _description = "Bank Matching: Set Account"

    st_line_id = fields.Many2one(
        "account.bank.statement.line", string="Transaction", required=True, readonly=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="st_line_id.company_id")
    currency_id = fields.Many2one(related="st_line_id.currency_id")
    amount = fields.Monetary(related="st_line_id.amount")
    account_id = fields.Many2one(
        "account.account", required=True, check_company=True,
        domain="[('account_type', 'not in', "
        "('asset_cash', 'liability_credit_card', 'off_balance'))]",
    )
    label = fields.Char(help="Label of the journal item; the transaction's label by default.")
    tax_ids = fields.Many2many(
        "account.tax", string="Taxes", check_company=True,
        help="Taxes included in the amount of the transaction.",
    )

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        st_line = self.env["account.bank.statement.line"].browse(defaults.get("st_line_id"))
        if st_line and "label" in fields_list and not defaults.get("label"):
            defaults["label"] = st_line.payment_ref
        return defaults

    def action_confirm(self):
        """Book the transaction on the chosen account."""
        self.ensure_one()
        self.st_line_id._bank_matching_book_on_account(
            self.account_id, label=self.label, taxes=self.tax_ids
        )
        return {"type": "ir.actions.act_window_close"}
