from odoo import models


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def __get_bank_statements_available_sources(self):
        """Offer file import as a bank feed (the method is name-mangled in ``account``)."""
        sources = super().__get_bank_statements_available_sources()
        sources.append(("file_import", self.env._("Import (CAMT, OFX, QIF, CODA, CSV...)")))
        return sources

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
