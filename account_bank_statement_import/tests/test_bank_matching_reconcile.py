from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .bank_matching_common import BankMatchingCase


@tagged("post_install", "-at_install")
class TestBankMatchingReconcile(BankMatchingCase):
    def items(self, st_line):
        liquidity, suspense, other = st_line._seek_for_lines()
        return liquidity, suspense, other

    def assert_balanced(self, st_line):
        total = sum(st_line.move_id.line_ids.mapped("balance"))
        self.assertFalse(self.currency.compare_amounts(total, 0))

    def test_set_account_books_the_counterpart(self):
        st_line = self.st_line(-42.5, label="Bank fees")
        self.assertFalse(st_line.is_reconciled)
        wizard = Form(self.env["account.bank.statement.line.set.account"].with_context(
            default_st_line_id=st_line.id))
        self.assertEqual(wizard.label, "Bank fees")
        wizard.account_id = self.expense_account
        wizard.label = "Monthly fees"
        wizard.save().action_confirm()

        liquidity, suspense, other = self.items(st_line)
        self.assertTrue(st_line.is_reconciled)
        self.assertFalse(suspense)
        self.assertEqual(liquidity.balance, -42.5)
        self.assertEqual(other.account_id, self.expense_account)
        self.assertEqual(other.balance, 42.5)
        self.assertEqual(other.name, "Monthly fees")
        self.assertEqual(st_line.move_id.state, "posted")
        self.assert_balanced(st_line)
        self.assertEqual(st_line.bank_matching_label, self.expense_account.display_name)

    def test_set_account_with_included_tax(self):
        tax = self.env["account.tax"].create({
            "name": "Purchase 21%", "amount": 21, "type_tax_use": "purchase",
            "amount_type": "percent",
        })
        st_line = self.st_line(-121.0, label="Office supplies")
        st_line._bank_matching_book_on_account(self.expense_account, taxes=tax)
        _liquidity, suspense, other = self.items(st_line)
        self.assertFalse(suspense)
        base = other.filtered(lambda line: line.tax_ids)
        tax_line = other.filtered("tax_repartition_line_id")
        self.assertEqual(base.balance, 100.0)
        self.assertEqual(base.account_id, self.expense_account)
        self.assertEqual(tax_line.balance, 21.0)
        self.assertEqual(tax_line.tax_line_id, tax)
        self.assert_balanced(st_line)
        self.assertTrue(st_line.is_reconciled)

    def test_match_invoice_fully(self):
        invoice = self.invoice(250.0)
        st_line = self.st_line(250.0, label=f"Payment {invoice.name}")
        wizard = Form(self.env["account.bank.statement.line.match"].with_context(
            default_st_line_id=st_line.id))
        record = wizard.save()
        first = record.candidate_ids[0]
        self.assertEqual(first.move_line_id, self.receivable_line(invoice))
        first.selected = True
        record.action_confirm()

        _liquidity, suspense, other = self.items(st_line)
        self.assertTrue(st_line.is_reconciled)
        self.assertFalse(suspense)
        self.assertEqual(other.account_id, self.receivable_line(invoice).account_id)
        self.assertEqual(other.balance, -250.0)
        self.assertTrue(other.reconciled)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(st_line.partner_id, self.partner)
        self.assertEqual(st_line.bank_matching_label, invoice.display_name)
        self.assert_balanced(st_line)

    def test_match_partial_transaction_smaller_than_invoice(self):
        invoice = self.invoice(300.0)
        st_line = self.st_line(100.0, label="First instalment")
        st_line._bank_matching_reconcile_with(self.receivable_line(invoice))
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(invoice.amount_residual, 200.0)

    def test_match_partial_transaction_larger_than_invoices(self):
        first = self.invoice(100.0)
        second = self.invoice(50.0)
        st_line = self.st_line(180.0, label="Two invoices and more")
        counterparts = st_line._bank_matching_reconcile_with(
            self.receivable_line(first) | self.receivable_line(second))
        self.assertEqual(len(counterparts), 2)
        self.assertEqual(first.payment_state, "paid")
        self.assertEqual(second.payment_state, "paid")
        _liquidity, suspense, _other = self.items(st_line)
        self.assertEqual(suspense.balance, -30.0)
        self.assertFalse(st_line.is_reconciled)
        self.assert_balanced(st_line)
        # The rest can then be booked on an account.
        st_line._bank_matching_book_on_account(self.income_account)
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(self.items(st_line)[2].filtered(
            lambda line: line.account_id == self.income_account).balance, -30.0)

    def test_match_vendor_bill(self):
        bill = self.invoice(80.0, move_type="in_invoice")
        st_line = self.st_line(-80.0, label="Supplier")
        st_line._bank_matching_reconcile_with(self.receivable_line(bill))
        self.assertEqual(bill.payment_state, "paid")
        self.assertTrue(st_line.is_reconciled)

    def test_match_wrong_direction_is_refused(self):
        invoice = self.invoice(80.0)
        st_line = self.st_line(-80.0, label="Outgoing")
        with self.assertRaisesRegex(UserError, "other way"):
            st_line._bank_matching_reconcile_with(self.receivable_line(invoice))
        self.assertFalse(st_line.is_reconciled)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_suggestions_ranked_by_amount_reference_partner(self):
        exact = self.invoice(75.0)
        by_reference = self.invoice(60.0, partner=self.other_partner)
        other = self.invoice(20.0, partner=self.other_partner)
        st_line = self.st_line(
            75.0, label=f"Invoice {by_reference.name}", partner_id=self.partner.id
        )
        suggestions = st_line._bank_matching_suggestions()
        receivables = [self.receivable_line(m) for m in (exact, by_reference, other)]
        self.assertEqual(suggestions[:1], receivables[0])
        positions = {line.id: index for index, line in enumerate(suggestions)}
        self.assertLess(positions[receivables[1].id], positions[receivables[2].id])
        # Filtering on a partner restricts the candidates.
        only_other = st_line._bank_matching_suggestions(partner=self.other_partner)
        self.assertNotIn(receivables[0], only_other)
        self.assertIn(receivables[1], only_other)

    def test_undo_reconciliation(self):
        invoice = self.invoice(40.0)
        st_line = self.st_line(40.0)
        st_line._bank_matching_reconcile_with(self.receivable_line(invoice))
        self.assertEqual(invoice.payment_state, "paid")
        st_line.action_bank_matching_undo()
        _liquidity, suspense, other = self.items(st_line)
        self.assertFalse(st_line.is_reconciled)
        self.assertFalse(other)
        self.assertEqual(suspense.balance, -40.0)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(st_line.bank_matching_label)

    def test_reconciled_line_cannot_be_matched_again(self):
        st_line = self.st_line(10.0)
        st_line._bank_matching_book_on_account(self.income_account)
        with self.assertRaisesRegex(UserError, "already fully reconciled"):
            st_line._bank_matching_book_on_account(self.income_account)

    def test_chatter_state(self):
        st_line = self.st_line(5.0)
        self.assertEqual(st_line.bank_matching_chatter_state, "none")
        self.env["ir.attachment"].create({
            "name": "receipt.txt", "raw": b"receipt", "res_model": "account.move",
            "res_id": st_line.move_id.id,
        })
        st_line.move_id.invalidate_recordset()
        st_line.invalidate_recordset(["bank_matching_chatter_state"])
        self.assertEqual(st_line.bank_matching_chatter_state, "attachment")
        st_line.move_id.activity_schedule("mail.mail_activity_data_todo", summary="Check")
        st_line.invalidate_recordset(["bank_matching_chatter_state"])
        self.assertEqual(st_line.bank_matching_chatter_state, "activity")

    def test_manual_transaction_form(self):
        line_model = self.env["account.bank.statement.line"].with_context(
            default_journal_id=self.journal.id)
        view = "account_bank_statement_import.account_bank_statement_line_view_form"
        form = Form(line_model, view=view)
        form.amount = -12.0
        with self.assertRaises(AssertionError):
            form.save()  # label and date are mandatory
        form.payment_ref = "Cash withdrawal"
        form.date = "2025-03-12"
        st_line = form.save()
        self.assertEqual(st_line.journal_id, self.journal)
        self.assertEqual(st_line.amount, -12.0)
        self.assertFalse(st_line.partner_id)

        eur = self.env.ref("base.EUR") if self.currency.name != "EUR" else self.env.ref("base.USD")
        eur.active = True
        form = Form(line_model, view=view)
        form.payment_ref = "Foreign payment"
        form.date = "2025-03-12"
        form.partner_id = self.partner
        form.amount = 110.0
        form.foreign_currency_id = eur
        form.amount_currency = 100.0
        st_line = form.save()
        self.assertEqual(st_line.foreign_currency_id, eur)
        self.assertEqual(st_line.amount_currency, 100.0)
        _liquidity, suspense, _other = st_line._seek_for_lines()
        self.assertEqual(suspense.currency_id, eur)
        self.assertEqual(suspense.amount_currency, -100.0)
