from odoo import fields, models


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    online_transaction_identifier = fields.Char(
        string="Online Transaction ID", readonly=True, copy=False,
        help="The provider's id of the transaction: it is never synchronized twice.",
    )
    online_account_id = fields.Many2one(
        "account.online.account", readonly=True, copy=False, index="btree_not_null",
        ondelete="set null",
    )
    online_possible_duplicate = fields.Boolean(
        string="Possible Duplicate", readonly=True, copy=False,
        help="The bank gave no id and sent another transaction with the very same "
        "details: check that both really happened.",
    )

    _unique_online_transaction_per_journal = models.Constraint(
        "unique (journal_id, online_transaction_identifier)",
        "A synchronized transaction can only be booked once per journal.",
    )
