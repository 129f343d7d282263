from odoo.tests import Form, tagged

from .bank_matching_common import BankMatchingCase

STATEMENT_FORM = "account_bank_statement_import.account_bank_statement_view_form"


@tagged("post_install", "-at_install")
class TestBankMatchingStatement(BankMatchingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # An older statement (ending at 1,100) then three transactions without statement.
        cls.old = cls.st_line(cls, 1000.0, date="2025-01-05", label="Opening deposit")
        cls.old2 = cls.st_line(cls, 100.0, date="2025-01-20", label="January sale")
        cls.previous = cls.env["account.bank.statement"].create({
            "name": "January",
            "line_ids": [(6, 0, (cls.old | cls.old2).ids)],
        })
        cls.feb1 = cls.st_line(cls, -50.0, date="2025-02-03", label="Rent")
        cls.feb2 = cls.st_line(cls, 200.0, date="2025-02-10", label="Customer")
        cls.feb3 = cls.st_line(cls, -25.0, date="2025-02-20", label="Fees")

    def statement_form(self, context):
        model = self.env["account.bank.statement"].with_context(**context)
        return Form(model, view=STATEMENT_FORM)

    def test_create_statement_from_transaction(self):
        action = self.feb2.action_bank_matching_create_statement()
        self.assertEqual(action["res_model"], "account.bank.statement")
        self.assertEqual(action["target"], "new")
        form = self.statement_form(action["context"])
        # From the hovered transaction down to the previous statement.
        self.assertEqual(set(form.line_ids.ids), {self.feb1.id, self.feb2.id})
        self.assertEqual(form.balance_start, 1100.0)  # previous statement's ending balance
        self.assertEqual(form.balance_end_real, 1250.0)  # computed from the transactions
        self.assertFalse(form.bank_matching_warning)
        form.name = "February part 1"
        form.reference = "BANK-2025-02A"
        statement = form.save()
        self.assertEqual(statement.reference, "BANK-2025-02A")
        self.assertEqual(self.feb1.statement_id, statement)
        self.assertEqual(self.feb2.statement_id, statement)
        self.assertFalse(self.feb3.statement_id)
        self.assertTrue(statement.is_valid)
        self.assertTrue(statement.is_complete)

    def test_starting_balance_updates_ending_balance_and_warns(self):
        form = self.statement_form(self.feb3.action_bank_matching_create_statement()["context"])
        self.assertEqual(form.balance_end_real, 1225.0)
        form.balance_start = 1000.0
        self.assertEqual(form.balance_end_real, 1125.0)
        self.assertIn("previous statement", form.bank_matching_warning)
        self.assertIn("January", form.bank_matching_warning)
        form.name = "February"
        statement = form.save()  # saving is still allowed
        self.assertFalse(statement.is_valid)
        self.assertEqual(statement.balance_start, 1000.0)

    def test_ending_balance_differs_from_running_balance(self):
        form = self.statement_form(self.feb3.action_bank_matching_create_statement()["context"])
        form.balance_end_real = 1300.0
        self.assertIn("running balance", form.bank_matching_warning)
        self.assertNotIn("previous statement", form.bank_matching_warning)
        form.name = "February"
        statement = form.save()
        self.assertFalse(statement.is_complete)
        self.assertIn("running balance", statement.bank_matching_warning)

    def test_statement_from_selection(self):
        action = (self.feb1 | self.feb2).action_bank_matching_statement_from_selection()
        form = self.statement_form(action["context"])
        self.assertEqual(set(form.line_ids.ids), {self.feb1.id, self.feb2.id})
        form.name = "Selection"
        statement = form.save()
        self.assertEqual((self.feb1 | self.feb2).statement_id, statement)

    def test_attachments_on_creation(self):
        attachment = self.env["ir.attachment"].create({
            "name": "bank.pdf", "raw": b"%PDF-1.4 bank", "mimetype": "application/pdf",
        })
        form = self.statement_form(self.feb3.action_bank_matching_create_statement()["context"])
        form.name = "February"
        form.attachment_ids.add(attachment)
        statement = form.save()
        self.assertEqual(statement.attachment_ids, attachment)
        self.assertEqual(attachment.res_model, "account.bank.statement")
        self.assertEqual(attachment.res_id, statement.id)

    def test_report_content(self):
        statement = self.env["account.bank.statement"].create({
            "name": "February", "reference": "REF-FEB",
            "line_ids": [(6, 0, (self.feb1 | self.feb2 | self.feb3).ids)],
        })
        html, report_type = self.env["ir.actions.report"]._render_qweb_html(
            "account.report_statement", statement.ids)
        self.assertEqual(report_type, "html")
        html = html.decode()
        self.assertIn("REF-FEB", html)
        self.assertIn("Period", html)
        for label in ("Rent", "Customer", "Fees"):
            self.assertIn(label, html)
        # Running balances after each transaction: 1,050 / 1,250 / 1,225.
        self.assertEqual(html.count("o_bank_matching_running_balance"), 3)
        for running in ("1,050.00", "1,250.00", "1,225.00"):
            self.assertIn(running, html)
        self.assertIn("1,100.00", html)  # starting balance

    def test_print_attaches_when_no_attachment(self):
        statement = self.env["account.bank.statement"].create({
            "name": "February", "line_ids": [(6, 0, self.feb1.ids)],
        })
        action = statement.action_bank_matching_print()
        self.assertEqual(action["report_name"], "account.report_statement")
        self.env["ir.actions.report"]._render_qweb_pdf("account.report_statement", statement.ids)
        self.assertEqual(len(statement.attachment_ids), 1)
        self.assertIn(b"Rent", statement.attachment_ids.raw)
        # Printing again does not add a second document.
        self.env["ir.actions.report"]._render_qweb_pdf("account.report_statement", statement.ids)
        self.assertEqual(len(statement.attachment_ids), 1)

    def test_print_several_attaches_each(self):
        first = self.env["account.bank.statement"].create({
            "name": "Feb A", "line_ids": [(6, 0, self.feb1.ids)],
        })
        second = self.env["account.bank.statement"].create({
            "name": "Feb B", "line_ids": [(6, 0, self.feb2.ids)],
        })
        self.env["ir.actions.report"]._render_qweb_pdf(
            "account.report_statement", (first | second).ids)
        self.assertIn(b"Rent", first.attachment_ids.raw)
        self.assertNotIn(b"Customer", first.attachment_ids.raw)
        self.assertIn(b"Customer", second.attachment_ids.raw)

    def test_open_statement_from_separator(self):
        action = self.previous.action_bank_matching_open()
        self.assertEqual(action["res_id"], self.previous.id)
        self.assertEqual(action["res_model"], "account.bank.statement")

    def test_opening_balance(self):
        wizard = Form(self.env["account.bank.opening.balance"].with_context(
            default_journal_id=self.journal.id))
        wizard.date = "2025-02-28"
        wizard.balance = 1500.0
        self.assertEqual(wizard.current_balance, 1225.0)
        self.assertEqual(wizard.difference, 275.0)
        action = wizard.save().action_confirm()
        statement = self.env["account.bank.statement"].browse(action["res_id"])
        self.assertEqual(statement.balance_end_real, 1500.0)
        self.assertEqual(statement.balance_start, 1225.0)
        self.assertTrue(statement.is_complete)
        line = statement.line_ids
        self.assertEqual(line.amount, 275.0)
        self.assertTrue(line.is_reconciled)  # booked on the counterpart account
        self.assertEqual(line.running_balance, 1500.0)
