from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AccountOnlineAccount(models.Model):
    """A bank account reachable through a connection, linked to at most one journal."""

    _name = "account.online.account"
    _description = "Online Bank Account"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    online_identifier = fields.Char(string="Provider Account ID", required=True, readonly=True)
    account_online_link_id = fields.Many2one(
        "account.online.link", string="Connection", required=True, ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="account_online_link_id.company_id", store=True)
    iban = fields.Char(string="IBAN")
    currency_id = fields.Many2one("res.currency")
    balance = fields.Monetary(readonly=True)
    balance_date = fields.Date(readonly=True)
    last_sync = fields.Date(
        string="Synchronized Until", readonly=True,
        help="Transactions are fetched from the day after this date.",
    )
    journal_ids = fields.One2many(
        "account.journal", "account_online_account_id", string="Journal"
    )

    _unique_identifier_per_link = models.Constraint(
        "unique (account_online_link_id, online_identifier)",
        "This account is already part of the connection.",
    )

    @api.constrains("journal_ids")
    def _check_single_journal(self):
        for account in self:
            if len(account.journal_ids) > 1:
                raise ValidationError(
                    self.env._(
                        "The online account %(name)s can only be linked to one journal.",
                        name=account.name,
                    )
                )
