from odoo import fields, models


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    unique_import_id = fields.Char(
        string="Import ID",
        readonly=True,
        copy=False,
        help="Identifier of the transaction in the file it was imported from, built from "
        "what the bank gave (or a fingerprint when the format has no bank id). A "
        "transaction is never imported twice into the same journal.",
    )

    _unique_import_id_per_journal = models.Constraint(
        "unique (journal_id, unique_import_id)",
        "A transaction can only be imported once per journal.",
    )
