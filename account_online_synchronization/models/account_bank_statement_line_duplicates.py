from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL


class AccountBankStatementLine(models.Model):
    """The Bank Matching duplicate finder, taught about synchronized transactions."""

    _inherit = "account.bank.statement.line"

    @api.model
    def _bank_matching_duplicate_keys(self):
        """Also group synchronized lines by the provider's transaction id.

        The id is unique per journal, so equal ids never meet; what does repeat is the id a
        provider makes when the bank gives none (``providers``: a digest of the bank's
        fields) for identical transactions, made unique with an occurrence number
        (``gch-…-2``) and flagged as possible duplicate. For flagged lines the key is that
        id without its occurrence number, so the copies group with the first one, even when
        it came in an earlier synchronization.
        """
        return [
            *super()._bank_matching_duplicate_keys(),
            (
                "online_transaction_id",
                self.env._("Same transaction id (bank synchronization)"),
                [SQL(
                    "CASE WHEN st_line.online_possible_duplicate"
                    " THEN regexp_replace(st_line.online_transaction_identifier, '-[0-9]+$', '')"
                    " ELSE st_line.online_transaction_identifier END"
                )],
                SQL("st_line.online_transaction_identifier IS NOT NULL"),
            ),
        ]

    @api.model
    def _bank_matching_provider_duplicate_domain(self):
        """Lines the provider flagged (``online_possible_duplicate``) are listed in the
        duplicate finder's Provider Duplicates tab too."""
        return super()._bank_matching_provider_duplicate_domain() | Domain(
            "online_possible_duplicate", "=", True
        )
