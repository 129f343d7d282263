from decimal import Decimal

from odoo import api, models


class AccountBankStatementLineBuilder(models.AbstractModel):
    _inherit = "account.bank.statement.line.builder"

    @api.model
    def _prepare_line_values(self, journal, statement_vals, transaction):
        """Add the online synchronization's ids to lines made from provider transactions
        (``transaction.raw`` set by ``account.online.account._to_transaction``); a
        transaction the provider reports as a possible duplicate is also flagged with
        the base addon's ``provider_duplicate_flag``."""
        values = super()._prepare_line_values(journal, statement_vals, transaction)
        raw = transaction.raw or {}
        if raw.get("online_transaction_identifier"):
            values["online_transaction_identifier"] = raw["online_transaction_identifier"]
            values["online_account_id"] = raw.get("online_account_id")
            values["online_possible_duplicate"] = bool(raw.get("online_possible_duplicate"))
            # the base addon's flag: Bank Matching's "Flagged as Duplicate" filter
            values["provider_duplicate_flag"] = values["online_possible_duplicate"]
        return values

    @api.model
    def _plan_statements(self, journal, todo, group_by, attachments):
        """With ``online_sync_extend_statement`` in the context (a statement id of the
        journal), every line goes to that statement, which is extended: the later
        batches of a synchronization grouped "none" (one statement per run)."""
        statement_id = self.env.context.get("online_sync_extend_statement")
        if not statement_id:
            return super()._plan_statements(journal, todo, group_by, attachments)
        statement = self.env["account.bank.statement"].browse(statement_id)
        if statement.journal_id != journal:
            raise ValueError("The statement to extend belongs to another journal")
        txs = sorted((item for _stmt, items in todo for item in items),
                     key=lambda item: item[0].date)
        total = sum((Decimal(tx.amount) for tx, _uid in txs), Decimal(0))
        return [({"_record": statement, "_extend_by": total}, txs)]
