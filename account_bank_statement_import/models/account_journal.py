from odoo import models


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def __get_bank_statements_available_sources(self):
        """Offer file import as a bank feed (the method is name-mangled in ``account``)."""
        sources = super().__get_bank_statements_available_sources()
        sources.append(("file_import", self.env._("Import (CAMT, OFX, QIF, CODA, CSV...)")))
        return sources
