from odoo import api, models


class AccountBankStatementLineBuilder(models.AbstractModel):
    _inherit = "account.bank.statement.line.builder"

    @api.model
    def _prepare_line_values(self, journal, statement_vals, transaction):
        """Add the online synchronization's ids to lines made from provider transactions
        (``transaction.raw`` set by ``account.online.account._to_transaction``)."""
        values = super()._prepare_line_values(journal, statement_vals, transaction)
        raw = transaction.raw or {}
        if raw.get("online_transaction_identifier"):
            values["online_transaction_identifier"] = raw["online_transaction_identifier"]
            values["online_account_id"] = raw.get("online_account_id")
            values["online_possible_duplicate"] = bool(raw.get("online_possible_duplicate"))
        return values
