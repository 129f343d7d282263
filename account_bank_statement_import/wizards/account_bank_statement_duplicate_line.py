from odoo import fields, models


class AccountBankStatementDuplicateLine(models.TransientModel):
    """A transaction shown in the duplicate finder."""

    _name = "account.bank.statement.duplicate.line"
    _description = "Duplicate Transaction"
    _order = "group_number, id"

    wizard_id = fields.Many2one(
        "account.bank.statement.duplicate", required=True, ondelete="cascade"
    )
    kind = fields.Selection(
        [("group", "Potential duplicate"), ("provider", "Flagged by provider")], required=True,
    )
    group_number = fields.Integer(string="Group")
    reason = fields.Char()
    selected = fields.Boolean(string="Delete")
    st_line_id = fields.Many2one(
        "account.bank.statement.line", string="Transaction", required=True, ondelete="cascade",
    )
    date = fields.Date(related="st_line_id.date")
    payment_ref = fields.Char(related="st_line_id.payment_ref", string="Label")
    partner_id = fields.Many2one(related="st_line_id.partner_id")
    account_number = fields.Char(related="st_line_id.account_number")
    unique_import_id = fields.Char(related="st_line_id.unique_import_id")
    statement_id = fields.Many2one(related="st_line_id.statement_id")
    currency_id = fields.Many2one(related="st_line_id.currency_id")
    amount = fields.Monetary(related="st_line_id.amount")
    is_reconciled = fields.Boolean(related="st_line_id.is_reconciled", string="Reconciled")
