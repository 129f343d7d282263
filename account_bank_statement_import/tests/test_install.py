from psycopg2 import IntegrityError

from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, login="bsi_accountant",
            groups="account.group_account_manager,account.group_account_user"
        )
        cls.journal = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1
        )

    def test_menu_and_access(self):
        menu = self.env.ref(
            "account_bank_statement_import.account_statement_import_sheet_mapping_menu"
        )
        visible = self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        mapping = (
            self.env["account.statement.import.sheet.mapping"]
            .with_user(self.accountant)
            .create({"name": "My bank CSV", "mapping": {"date": "Date"}})
        )
        self.assertEqual(mapping.company_id, self.env.company)
        self.assertIn('"date": "Date"', mapping.mapping_text)

    def test_journal_form_offers_file_import(self):
        with Form(self.journal.with_user(self.accountant)) as journal_form:
            journal_form.bank_statements_source = "file_import"
        self.assertEqual(self.journal.bank_statements_source, "file_import")

    def test_unique_import_id_per_journal(self):
        line_model = self.env["account.bank.statement.line"]
        values = {
            "journal_id": self.journal.id,
            "payment_ref": "first",
            "amount": 10.0,
            "date": "2025-01-01",
            "unique_import_id": "BANKREF-1",
        }
        line_model.create(values)
        # Another journal may hold the same bank id.
        other = self.journal.copy({"name": "Other bank", "code": "OBNK"})
        line_model.create({**values, "journal_id": other.id})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                line_model.create({**values, "payment_ref": "again"})
