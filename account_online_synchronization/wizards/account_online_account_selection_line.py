from odoo import fields, models


class AccountOnlineAccountSelectionLine(models.TransientModel):
    """One account of the connection and the journal it goes to."""

    _name = "account.online.account.selection.line"
    _description = "Account to Synchronize"

    selection_id = fields.Many2one(
        "account.online.account.selection", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="selection_id.company_id")
    account_online_account_id = fields.Many2one(
        "account.online.account", required=True, readonly=True, ondelete="cascade"
    )
    name = fields.Char(related="account_online_account_id.name")
    iban = fields.Char(related="account_online_account_id.iban")
    currency_id = fields.Many2one(related="account_online_account_id.currency_id")
    to_sync = fields.Boolean(string="Synchronize", default=True)
    journal_id = fields.Many2one(
        "account.journal",
        domain="[('type', '=', 'bank'), ('company_id', '=', company_id), "
        "'|', ('account_online_account_id', '=', False), "
        "('account_online_account_id', '=', account_online_account_id)]",
        help="Leave empty to create a new bank journal for this account.",
    )
