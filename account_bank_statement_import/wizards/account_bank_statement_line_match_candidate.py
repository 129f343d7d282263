from odoo import fields, models


class AccountBankStatementLineMatchCandidate(models.TransientModel):
    """One open item proposed for a transaction, with its rank."""

    _name = "account.bank.statement.line.match.candidate"
    _description = "Bank Matching: Match Suggestion"
    _order = "score desc, id"

    wizard_id = fields.Many2one(
        "account.bank.statement.line.match", required=True, ondelete="cascade"
    )
    move_line_id = fields.Many2one("account.move.line", required=True, ondelete="cascade")
    selected = fields.Boolean()
    score = fields.Integer(help="Higher when amount, reference and partner agree.")
    move_id = fields.Many2one(related="move_line_id.move_id", string="Document")
    date = fields.Date(related="move_line_id.date")
    partner_id = fields.Many2one(related="move_line_id.partner_id")
    account_id = fields.Many2one(related="move_line_id.account_id")
    name = fields.Char(related="move_line_id.name", string="Label")
    ref = fields.Char(related="move_line_id.move_id.ref", string="Reference")
    company_currency_id = fields.Many2one(related="move_line_id.company_currency_id")
    amount_residual = fields.Monetary(
        related="move_line_id.amount_residual", currency_field="company_currency_id",
        string="Open Amount",
    )
