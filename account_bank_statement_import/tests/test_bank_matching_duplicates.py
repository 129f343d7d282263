from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import SQL

from odoo.addons.account_bank_statement_import.models.account_bank_statement_line import (
    AccountBankStatementLine as OwnLine,
)

from .bank_matching_common import BankMatchingCase


@tagged("post_install", "-at_install")
class TestBankMatchingDuplicates(BankMatchingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a1 = cls.st_line(cls, 99.0, date="2025-04-02", label="A", account_number="BE11")
        cls.a2 = cls.st_line(cls, 99.0, date="2025-04-02", label="A again", account_number="BE11")
        cls.a3 = cls.st_line(cls, 99.0, date="2025-04-02", label="A third", account_number="BE11")
        # Same amount and date but another account: not a duplicate.
        cls.b = cls.st_line(cls, 99.0, date="2025-04-02", label="B", account_number="NL22")
        # Same amount, other day: not a duplicate.
        cls.c = cls.st_line(cls, 99.0, date="2025-04-03", label="C", account_number="BE11")
        # No account number on both: duplicates.
        cls.d1 = cls.st_line(cls, -5.0, date="2025-04-04", label="D")
        cls.d2 = cls.st_line(cls, -5.0, date="2025-04-04", label="D")
        # Before the starting date.
        cls.e1 = cls.st_line(cls, 7.0, date="2025-01-04", label="E")
        cls.e2 = cls.st_line(cls, 7.0, date="2025-01-04", label="E")

    def open_wizard(self, date_from="2025-04-01"):
        action = self.journal.action_bank_matching_find_duplicates()
        form = Form(self.env[action["res_model"]].with_context(**action["context"]))
        form.date_from = date_from
        wizard = form.save()
        wizard.action_search()
        return wizard

    def groups(self, wizard):
        result = {}
        for line in wizard.line_ids:
            result.setdefault(line.group_number, self.env["account.bank.statement.line"])
            result[line.group_number] |= line.st_line_id
        return sorted(result.values(), key=lambda lines: lines[:1].id)

    def test_groups(self):
        wizard = self.open_wizard()
        self.assertEqual(wizard.journal_id, self.journal)
        groups = self.groups(wizard)
        self.assertEqual(groups, [self.a1 | self.a2 | self.a3, self.d1 | self.d2])
        # All but the oldest of each group are proposed for deletion.
        selected = wizard.line_ids.filtered("selected").st_line_id
        self.assertEqual(selected, self.a2 | self.a3 | self.d2)
        self.assertFalse(wizard.has_provider_duplicates)
        # An earlier starting date also finds the January pair.
        wizard = self.open_wizard(date_from="2025-01-01")
        self.assertIn(self.e1 | self.e2, self.groups(wizard))

    def test_delete_selected(self):
        wizard = self.open_wizard()
        wizard.action_delete_selected()
        self.assertFalse((self.a2 | self.a3 | self.d2).exists())
        self.assertTrue((self.a1 | self.b | self.c | self.d1).exists())
        self.assertFalse(wizard.line_ids)  # searched again: nothing left

    def test_delete_from_complete_statement(self):
        statement = self.env["account.bank.statement"].create({
            "name": "April", "balance_start": 0.0, "balance_end_real": 297.0,
            "line_ids": [(6, 0, (self.a1 | self.a2 | self.a3).ids)],
        })
        self.assertTrue(statement.is_complete)
        self.assertTrue(statement.is_valid)
        self.open_wizard().action_delete_selected()
        self.assertFalse((self.a2 | self.a3).exists())
        self.assertEqual(statement.line_ids, self.a1)
        # The statement keeps the figure it was given and shows the difference.
        self.assertEqual(statement.balance_end_real, 297.0)
        self.assertEqual(statement.balance_end, 99.0)
        self.assertFalse(statement.is_complete)
        self.assertIn("running balance", statement.bank_matching_warning)

    def test_reconciled_lines_are_protected(self):
        self.a2._bank_matching_book_on_account(self.income_account)
        wizard = self.open_wizard()
        line_a2 = wizard.line_ids.filtered(lambda line: line.st_line_id == self.a2)
        self.assertFalse(line_a2.selected)  # never proposed
        line_a2.selected = True
        with self.assertRaisesRegex(UserError, "Undo the reconciliation"):
            wizard.action_delete_selected()
        self.assertTrue((self.a2 | self.a3).exists())

    def test_same_transaction_id_across_sources(self):
        """The grouping key is extensible: a hook adding a key (as the online addon does
        with the provider's transaction id) groups lines by it."""
        self.a1.unique_import_id = "TX-1"
        self.c.write({"unique_import_id": "FILE-TX-1"})

        def keys(model):
            return [*OwnLine._bank_matching_duplicate_keys(model), (
                "normalised_id", "Same normalised id",
                [SQL("regexp_replace(st_line.unique_import_id, '^FILE-', '')")],
                SQL("st_line.unique_import_id IS NOT NULL"),
            )]

        line_class = type(self.env["account.bank.statement.line"])
        with patch.object(line_class, "_bank_matching_duplicate_keys", keys):
            groups = self.env["account.bank.statement.line"]._bank_matching_find_duplicate_groups(
                self.journal)
        by_code = {code: ids for code, _label, ids in groups}
        self.assertEqual(by_code["normalised_id"], [self.a1.id, self.c.id])

    def test_provider_duplicates_tab(self):
        self.b.provider_duplicate_flag = True
        wizard = self.open_wizard()
        self.assertTrue(wizard.has_provider_duplicates)
        self.assertEqual(wizard.provider_line_ids.st_line_id, self.b)
        self.assertFalse(wizard.provider_line_ids.selected)
        for line in wizard.line_ids:
            line.selected = False
        wizard.provider_line_ids.selected = True
        wizard.action_delete_selected()
        self.assertFalse(self.b.exists())
        self.assertFalse(wizard.has_provider_duplicates)

    def test_nothing_selected(self):
        wizard = self.open_wizard()
        wizard.line_ids.selected = False
        with self.assertRaisesRegex(UserError, "Select the transactions"):
            wizard.action_delete_selected()

    def test_cancelled_lines_are_no_duplicates(self):
        self.d2.move_id.button_draft()
        self.d2.move_id.button_cancel()
        self.assertEqual(self.d2.state, "cancel")
        groups = self.env["account.bank.statement.line"]._bank_matching_find_duplicate_groups(
            self.journal)
        self.assertEqual([ids for _code, _label, ids in groups],
                         [(self.a1 | self.a2 | self.a3).ids, (self.e1 | self.e2).ids])
