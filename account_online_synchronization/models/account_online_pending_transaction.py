from odoo import fields, models


class AccountOnlinePendingTransaction(models.Model):
    """A transaction the bank shows but has not booked yet.

    Never a statement line: banks give a new id when they book it, so a pending line would
    be duplicated by its booked version. Each synchronization replaces the account's list.
    """

    _name = "account.online.pending.transaction"
    _description = "Pending Bank Transaction"
    _order = "date desc, id desc"
    _check_company_auto = True

    account_online_account_id = fields.Many2one(
        "account.online.account", string="Online Account", required=True,
        ondelete="cascade", index=True, readonly=True,
    )
    account_online_link_id = fields.Many2one(
        related="account_online_account_id.account_online_link_id", store=True,
        index=True, string="Connection",
    )
    company_id = fields.Many2one(related="account_online_account_id.company_id", store=True)
    journal_id = fields.Many2one(
        "account.journal", compute="_compute_journal_id", string="Journal"
    )
    online_transaction_identifier = fields.Char(string="Bank ID", readonly=True)
    date = fields.Date(readonly=True)
    amount = fields.Monetary(readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    payment_ref = fields.Char(string="Label", readonly=True)
    partner_name = fields.Char(string="Counterparty", readonly=True)

    def _compute_journal_id(self):
        for pending in self:
            pending.journal_id = pending.account_online_account_id.journal_ids[:1]
