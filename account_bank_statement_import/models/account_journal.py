from odoo import models

BANK_MATCHING_JOURNAL_TYPES = ("bank", "cash", "credit")


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def __get_bank_statements_available_sources(self):
        """Offer file import as a bank feed (the method is name-mangled in ``account``)."""
        sources = super().__get_bank_statements_available_sources()
        sources.append(("file_import", self.env._("Import (CAMT, OFX, QIF, CODA, CSV...)")))
        return sources

    def _fill_bank_cash_dashboard_data(self, dashboard_data):
        """Add the number of transactions the "N to reconcile" button of the card opens
        (same domain as the Bank Matching view's "Not Matched" filter)."""
        super()._fill_bank_cash_dashboard_data(dashboard_data)
        journals = self.filtered(lambda j: j.type in BANK_MATCHING_JOURNAL_TYPES)
        if not journals:
            return
        counts = dict(self.env["account.bank.statement.line"]._read_group(
            domain=[
                ("journal_id", "in", journals.ids),
                ("company_id", "in", self.env.companies.ids),
                *self._bank_matching_not_matched_domain(),
            ],
            groupby=["journal_id"],
            aggregates=["__count"],
        ))
        for journal in journals:
            dashboard_data[journal.id]["bank_matching_to_reconcile"] = counts.get(journal, 0)

    def _bank_matching_not_matched_domain(self):
        """Transactions still to reconcile (the view's "Not Matched" filter)."""
        return [("is_reconciled", "=", False), ("state", "=", "posted")]

    def open_action(self):
        """The journal's name and its Transactions button open the Bank Matching view."""
        if (
            len(self) == 1
            and self.type in BANK_MATCHING_JOURNAL_TYPES
            and not self.env.context.get("action_name")
        ):
            return self.action_open_bank_matching()
        return super().open_action()

    def action_open_bank_matching(self):
        """The Bank Matching view of this journal; with ``bank_matching_not_matched`` in the
        context, only the transactions still to reconcile (a filter the user can remove)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_bank_statement_import.account_bank_statement_line_action_bank_matching"
        )
        context = {
            "default_journal_id": self.id,
            "search_default_journal_id": self.id,
            "search_default_group_by_statement": 1,
            "bank_matching_view": True,
        }
        if self.env.context.get("bank_matching_not_matched"):
            context["search_default_not_matched"] = 1
        action["context"] = context
        action["domain"] = [("journal_id", "=", self.id)]
        action["display_name"] = action["name"] = self.display_name
        return action

    def action_bank_matching_find_duplicates(self):
        """Open the duplicate finder on this journal."""
        self.ensure_one()
        return self.env["account.bank.statement.line"].with_context(
            default_journal_id=self.id
        ).action_bank_matching_find_duplicates()

    def action_bank_matching_opening_balance(self):
        """Open the opening balance helper for this journal."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Opening Balance"),
            "res_model": "account.bank.opening.balance",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_journal_id": self.id},
        }

    def action_import_statement_file(self):
        """Open the statement import wizard for this journal."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_bank_statement_import.account_statement_import_action")
        action["context"] = {"default_journal_id": self.id}
        return action

    def create_document_from_attachment(self, attachment_ids):
        """Import statement files dropped on a bank or credit card journal.

        The journal dashboard calls this for files dropped on (or uploaded to) a journal
        card, with the journal in ``default_journal_id``. Other journals keep Odoo's
        behaviour (invoices, bills, entries from documents).
        """
        journal = self or self.browse(self.env.context.get("default_journal_id"))
        if len(journal) == 1 and journal.type in ("bank", "credit"):
            wizard = self.env["account.statement.import"].create({
                "journal_id": journal.id,
                "attachment_ids": [(6, 0, list(attachment_ids))],
            })
            return wizard.action_import()
        return super().create_document_from_attachment(attachment_ids)
