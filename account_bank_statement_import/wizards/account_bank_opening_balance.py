from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountBankOpeningBalance(models.TransientModel):
    """Record the bank account's balance on a date, so that Odoo's balances match the bank's."""

    _name = "account.bank.opening.balance"
    _description = "Bank Opening Balance"

    journal_id = fields.Many2one(
        "account.journal", required=True, domain="[('type', 'in', ('bank', 'cash', 'credit'))]",
    )
    company_id = fields.Many2one(related="journal_id.company_id")
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id",
    )
    date = fields.Date(required=True, default=fields.Date.context_today,
                       help="The day whose end-of-day balance the bank gives.")
    balance = fields.Monetary(string="Balance at the Bank", required=True)
    current_balance = fields.Monetary(
        string="Balance in Odoo", compute="_compute_current_balance",
        help="Sum of the journal's transactions up to that date.",
    )
    difference = fields.Monetary(compute="_compute_current_balance")
    account_id = fields.Many2one(
        "account.account", string="Counterpart Account", required=True, check_company=True,
        compute="_compute_account_id", store=True, readonly=False,
        help="Where the opening difference is booked (by default the company's undistributed "
        "profits/losses account).",
    )

    @api.depends("journal_id")
    def _compute_currency_id(self):
        for wizard in self:
            wizard.currency_id = wizard.journal_id.currency_id or wizard.company_id.currency_id

    @api.depends("journal_id")
    def _compute_account_id(self):
        for wizard in self:
            wizard.account_id = wizard.company_id.get_unaffected_earnings_account()

    @api.depends("journal_id", "date", "balance")
    def _compute_current_balance(self):
        for wizard in self:
            current = 0.0
            if wizard.journal_id and wizard.date:
                current = sum(self.env["account.bank.statement.line"].search([
                    ("journal_id", "=", wizard.journal_id.id),
                    ("date", "<=", wizard.date),
                    ("state", "=", "posted"),
                ]).mapped("amount"))
            wizard.current_balance = current
            wizard.difference = wizard.balance - current

    def action_confirm(self):
        """Book the difference as an "Opening balance" transaction, closed by a statement
        whose ending balance is the bank's balance."""
        self.ensure_one()
        if self.currency_id.is_zero(self.difference):
            raise UserError(self.env._(
                "The balance in Odoo on %(date)s already is %(balance)s: nothing to record.",
                date=self.date, balance=self.balance,
            ))
        st_line = self.env["account.bank.statement.line"].create({
            "journal_id": self.journal_id.id,
            "date": self.date,
            "payment_ref": self.env._("Opening balance"),
            "amount": self.difference,
            "counterpart_account_id": self.account_id.id,
        })
        statement = self.env["account.bank.statement"].create({
            "name": self.env._("Opening balance %(date)s", date=self.date),
            "line_ids": [fields.Command.set(st_line.ids)],
        })
        statement.balance_end_real = self.balance
        return self.env["account.bank.statement"]._bank_matching_form_action(res_id=statement.id)
