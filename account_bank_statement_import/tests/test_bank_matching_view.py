from odoo.tests import HttpCase, tagged

from .bank_matching_common import BankMatchingCase


@tagged("post_install", "-at_install")
class TestBankMatchingView(BankMatchingCase):
    """The Bank Matching view's server side: opening it, its filter, its groups."""

    def test_journal_opens_bank_matching(self):
        self.st_line(10.0)
        action = self.journal.open_action()
        self.assertEqual(action["res_model"], "account.bank.statement.line")
        self.assertIn(("journal_id", "=", self.journal.id), action["domain"])
        self.assertTrue(action["context"]["bank_matching_view"])
        self.assertNotIn("search_default_not_matched", action["context"])
        # The card's "N to reconcile" button sets the Not Matched filter.
        action = self.journal.with_context(bank_matching_not_matched=True).open_action()
        self.assertEqual(action["context"]["search_default_not_matched"], 1)
        # Explicit actions of the card still open what they name.
        statements = self.journal.with_context(
            action_name="action_bank_statement_tree").open_action()
        self.assertEqual(statements["res_model"], "account.bank.statement")

    def test_dashboard_count_matches_filter(self):
        self.st_line(10.0)
        done = self.st_line(-5.0)
        done._bank_matching_book_on_account(self.expense_account)
        data = self.journal._get_journal_dashboard_data_batched()[self.journal.id]
        self.assertEqual(data["bank_matching_to_reconcile"], 1)
        search = self.env.ref(
            "account_bank_statement_import.account_bank_statement_line_view_search").sudo()
        self.assertIn("not_matched", search.arch)
        not_matched = self.env["account.bank.statement.line"].search([
            ("journal_id", "=", self.journal.id),
            *self.journal._bank_matching_not_matched_domain(),
        ])
        self.assertEqual(len(not_matched), 1)

    def test_groups_recent_statements_first_orphans_on_top(self):
        old = self.st_line(1.0, date="2025-01-01")
        recent = self.st_line(2.0, date="2025-02-01")
        self.st_line(3.0, date="2025-03-01")
        old_statement = self.env["account.bank.statement"].create({
            "name": "Old", "line_ids": [(6, 0, old.ids)]})
        recent_statement = self.env["account.bank.statement"].create({
            "name": "Recent", "line_ids": [(6, 0, recent.ids)]})
        groups = self.env["account.bank.statement.line"].with_context(
            bank_matching_view=True
        ).formatted_read_group(
            [("journal_id", "=", self.journal.id)], ["statement_id"], ["__count"])
        self.assertEqual(
            [group["statement_id"] and group["statement_id"][0] for group in groups],
            [False, recent_statement.id, old_statement.id],
        )

    def test_views_load(self):
        line_model = self.env["account.bank.statement.line"]
        for xmlid in ("account_bank_statement_line_view_list",
                      "account_bank_statement_line_view_form",
                      "account_bank_statement_line_view_search"):
            view = self.env.ref(f"account_bank_statement_import.{xmlid}").sudo()
            line_model.get_views([(view.id, view.type)])


@tagged("post_install", "-at_install")
class TestBankMatchingTour(HttpCase):
    """The Bank Matching view in a browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup = BankMatchingCase
        cls.accountant = cls.env["res.users"].create({
            "name": "Tour Accountant", "login": "bm_tour", "password": "bm_tour_password",
            "group_ids": [(4, cls.env.ref(xmlid).id) for xmlid in (
                "account.group_account_manager", "account.group_account_user",
                "base.group_partner_manager")],
        })
        env = cls.env
        cls.journal = env["account.journal"].create({
            "name": "Tour Bank", "code": "TBNK", "type": "bank", "sequence": 1,
        })
        cls.partner = env["res.partner"].create({"name": "Tour Customer"})
        accounts = env["account.account"]
        cls.salaries = accounts.create({
            "name": "Tour Salaries", "code": "TOURSAL", "account_type": "expense"})
        cls.fees = accounts.create({
            "name": "Tour Fees", "code": "TOURFEE", "account_type": "expense"})
        line = cls._line
        old_deposit = line(800.0, "2025-01-05", "Old deposit")
        salary = line(-300.0, "2025-01-10", "Reconciled salary")
        old_deposit._bank_matching_book_on_account(cls.fees)
        salary._bank_matching_book_on_account(cls.salaries)
        statement = env["account.bank.statement"].create({
            "name": "Tour Statement", "line_ids": [(6, 0, (old_deposit | salary).ids)]})
        statement.balance_end_real = 600.0  # does not match its transactions: invalid
        line(-9.5, "2025-02-05", "Fee line")
        line(250.0, "2025-02-10", "Customer pays", partner_id=cls.partner.id)
        activity = line(20.0, "2025-02-15", "Activity line")
        activity.move_id.activity_schedule("mail.mail_activity_data_todo", summary="Check")
        attached = line(15.0, "2025-02-20", "Attached line")
        env["ir.attachment"].create({
            "name": "receipt.txt", "raw": b"receipt", "res_model": "account.move",
            "res_id": attached.move_id.id,
        })
        cls.invoice = env["account.move"].create({
            "move_type": "out_invoice", "partner_id": cls.partner.id,
            "invoice_date": "2025-02-01",
            "invoice_line_ids": [(0, 0, {
                "name": "Consulting", "quantity": 1, "price_unit": 250.0,
                "tax_ids": [(6, 0, [])]})],
        })
        cls.invoice.action_post()
        del setup

    @classmethod
    def _line(cls, amount, date, label, **values):
        return cls.env["account.bank.statement.line"].create({
            "journal_id": cls.journal.id, "amount": amount, "date": date,
            "payment_ref": label, **values,
        })

    def line(self, label):
        return self.env["account.bank.statement.line"].search([
            ("journal_id", "=", self.journal.id), ("payment_ref", "=", label)])

    def test_bank_matching_tour(self):
        self.start_tour("/odoo/accounting", "account_bank_statement_import_bank_matching",
                        login="bm_tour", timeout=180)
        self.assertFalse(self.line("Reconciled salary").is_reconciled)  # undone
        fee = self.line("Fee line")
        self.assertTrue(fee.is_reconciled)
        self.assertEqual(fee._seek_for_lines()[2].account_id, self.fees)
        self.assertEqual(self.invoice.payment_state, "paid")
        new_statement = self.line("Attached line").statement_id
        self.assertEqual(new_statement.name, "Tour New Statement")
        self.assertEqual(new_statement.balance_start, 600.0)
        self.assertEqual(len(new_statement.line_ids), 4)

    def test_duplicates_tour(self):
        twice = self._line(42.0, "2025-02-25", "Twice") | self._line(42.0, "2025-02-25", "Twice")
        oldest = twice.sorted("internal_index")[:1]
        self.start_tour("/odoo/accounting",
                        "account_bank_statement_import_bank_matching_duplicates",
                        login="bm_tour", timeout=180)
        self.assertEqual(twice.exists(), oldest)

    def test_drop_zone_tour(self):
        """A file dropped on the view goes through the real import into the journal."""
        self.start_tour("/odoo/accounting",
                        "account_bank_statement_import_bank_matching_drop",
                        login="bm_tour", timeout=180)
        dropped = self.line("Dropped coffee")
        self.assertEqual(len(dropped), 1)
        self.assertEqual(dropped.amount, -12.34)
        self.assertEqual(str(dropped.date), "2025-02-26")
        self.assertIn(":fp:", dropped.unique_import_id)
