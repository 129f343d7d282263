import datetime
from decimal import Decimal

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ImportCase, statement, tx


@tagged("post_install", "-at_install")
class TestBuilder(ImportCase):
    def test_lines_and_statement_from_file(self):
        partner = self.env["res.partner"].sudo().create({"name": "Acme Supplies"})
        self.env["res.partner.bank"].sudo().create({
            "partner_id": partner.id, "acc_number": "NL91ABNA0417164300",
        })
        stmt = statement([
            tx("2025-03-02", "-20.50", "Office paper", ref="E2E-1", unique_import_id="B1",
               account_number="nl91 abna 0417 1643 00", partner_name="ACME",
               transaction_type="PMNT/RCDT", narration="Invoice 42\nthanks",
               raw={"bank": "detail"}),
            tx("2025-03-01", "100.00", "Customer pays", unique_import_id="B2",
               partner_name="Acme Supplies"),
        ], name="STMT-1", balance_start="10.00", balance_end="89.50", currency="EUR"
            if self.journal.currency_id.name == "EUR" else None)
        result = self.import_statements([stmt], source="camt")
        lines = result["lines"]
        self.assertEqual(len(lines), 2)
        self.assertEqual(result["skipped"], 0)
        self.assertEqual(len(result["statements"]), 1)
        st = result["statements"]
        self.assertEqual(st.name, "STMT-1")
        self.assertEqual(st.balance_start, 10.0)
        self.assertEqual(st.balance_end_real, 89.5)
        self.assertTrue(st.is_complete)
        self.assertEqual(st.line_ids, lines)
        # lines are created in date order (the file order within a day)
        first, second = lines
        self.assertEqual(first.date, datetime.date(2025, 3, 1))
        self.assertEqual(second.payment_ref, "Office paper")
        self.assertEqual(second.unique_import_id, "camt:B1")
        self.assertEqual(second.amount, -20.5)
        self.assertEqual(second.partner_id, partner)  # by account, normalised
        self.assertEqual(first.partner_id, partner)  # by exact name
        self.assertEqual(second.partner_name, "ACME")
        self.assertEqual(second.account_number, "nl91 abna 0417 1643 00")
        self.assertEqual(second.ref, "E2E-1")
        self.assertEqual(second.transaction_type, "PMNT/RCDT")
        self.assertIn("Invoice 42", str(second.narration))
        self.assertEqual(second.transaction_details["raw"], {"bank": "detail"})
        self.assertEqual(second.transaction_details["amount"], "-20.50")
        self.assertEqual(second.move_id.state, "posted")

    def test_reimport_skips_everything(self):
        stmt = statement([tx("2025-03-01", "5", "a", unique_import_id="X1"),
                          tx("2025-03-01", "6", "b", unique_import_id="X2")])
        first = self.import_statements([stmt], source="ofx")
        self.assertEqual(len(first["lines"]), 2)
        again = self.import_statements([stmt], source="ofx")
        self.assertFalse(again["lines"])
        self.assertFalse(again["statements"])
        self.assertEqual(again["skipped"], 2)
        self.assertEqual(sorted(again["skipped_refs"]), ["ofx:X1", "ofx:X2"])
        # another source's ids never collide with these
        other = self.import_statements([stmt], source="mt940")
        self.assertEqual(len(other["lines"]), 2)

    def test_fingerprint_without_bank_id(self):
        rows = [
            tx("2025-04-01", "-3.20", "Coffee  shop", partner_name="Bar"),
            tx("2025-04-01", "-3.20", "coffee shop", partner_name="bar"),  # same again
            tx("2025-04-01", "-3.2", "Coffee shop", partner_name="Bar", account_number="X"),
        ]
        first = self.import_statements([statement(rows)], source="csv")
        self.assertEqual(len(first["lines"]), 3, "identical rows of one file are all kept")
        self.assertEqual(len(set(first["lines"].mapped("unique_import_id"))), 3)
        again = self.import_statements([statement(rows)], source="csv")
        self.assertFalse(again["lines"])
        self.assertEqual(again["skipped"], 3)
        # a longer export holding the same rows plus one more third identical row
        longer = self.import_statements([statement([*rows, rows[0]])], source="csv")
        self.assertEqual(len(longer["lines"]), 1)
        self.assertEqual(longer["skipped"], 3)
        # the id does not depend on the journal
        other = self.journal.copy({"name": "Other", "code": "OTHB"})
        elsewhere = self.import_statements([statement(rows)], journal=other, source="csv")
        self.assertEqual(sorted(elsewhere["lines"].mapped("unique_import_id")),
                         sorted(first["lines"].mapped("unique_import_id")))

    def test_partial_overlap_keeps_statement_complete(self):
        rows = [tx("2025-05-01", "10", "a", unique_import_id="1"),
                tx("2025-05-02", "20", "b", unique_import_id="2")]
        self.import_statements([statement(rows[:1], balance_start="0", balance_end="10")])
        result = self.import_statements(
            [statement([*rows, tx("2025-05-03", "5", "c", unique_import_id="3")],
                       balance_start="0", balance_end="35")])
        st = result["statements"]
        self.assertEqual(result["skipped"], 1)
        self.assertEqual((st.balance_start, st.balance_end_real), (10.0, 35.0))
        self.assertTrue(st.is_complete)
        self.assertTrue(st.is_valid)

    def test_balances_flagged_not_refused(self):
        self.import_statements([statement([tx("2025-06-01", "10", "a")],
                                          balance_start="0", balance_end="10")])
        result = self.import_statements([statement(
            [tx("2025-06-02", "5", "b")], balance_start="50", balance_end="99")])
        st = result["statements"]
        self.assertEqual((st.balance_start, st.balance_end_real), (50.0, 99.0))
        self.assertFalse(st.is_valid)
        self.assertFalse(st.is_complete)
        self.assertTrue(st.problem_description)

    def test_missing_balances_follow_the_journal(self):
        self.import_statements([statement([tx("2025-06-01", "10", "a")],
                                          balance_start="100", balance_end="110")])
        result = self.import_statements([statement([tx("2025-06-02", "-4", "b")]),
                                         statement([tx("2025-06-03", "1", "c")])])
        first, second = result["statements"].sorted("first_line_index")
        self.assertEqual((first.balance_start, first.balance_end_real), (110.0, 106.0))
        self.assertEqual((second.balance_start, second.balance_end_real), (106.0, 107.0))
        self.assertTrue(first.is_valid and second.is_valid)

    def test_foreign_currency(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        foreign = "USD" if self.company.currency_id != usd else "EUR"
        if foreign == "EUR":
            self.env.ref("base.EUR").active = True
        result = self.import_statements([statement([
            tx("2025-06-02", "-90.00", "Abroad", foreign_amount=Decimal("-100.00"),
               foreign_currency=foreign),
        ])])
        line = result["lines"]
        self.assertEqual(line.foreign_currency_id.name, foreign)
        self.assertEqual(line.amount_currency, -100.0)
        self.assertEqual(line.amount, -90.0)
        liquidity, suspense, _other = line._seek_for_lines()
        self.assertEqual(suspense.currency_id.name, foreign)
        self.assertEqual(suspense.amount_currency, 100.0)
        self.assertEqual(liquidity.balance, -90.0)

    def test_unknown_currency(self):
        with self.assertRaisesRegex(UserError, "XQQ"):
            self.import_statements([statement([
                tx("2025-06-02", "-1", "x", foreign_amount=Decimal(2),
                   foreign_currency="XQQ")])])

    def test_statement_in_other_currency_refused(self):
        other = "USD" if self.company.currency_id.name != "USD" else "EUR"
        with self.assertRaisesRegex(UserError, other):
            self.import_statements([statement([tx("2025-06-02", "1", "x")], currency=other)])

    def test_lock_date_message(self):
        self.company.sudo().fiscalyear_lock_date = "2024-12-31"
        rows = [tx(f"2024-12-3{i}", "1", f"locked {i}") for i in range(2)]
        rows.append(tx("2025-01-02", "1", "fine"))
        with self.assertRaises(UserError) as caught:
            self.import_statements([statement(rows)])
        message = str(caught.exception)
        self.assertIn("2 transaction(s)", message)
        self.assertIn("locked 0", message)
        self.assertIn("locked 1", message)
        self.assertNotIn("fine", message)
        self.assertIn("12/31/2024", message)
        self.assertFalse(self.env["account.bank.statement.line"].search(
            [("journal_id", "=", self.journal.id)]))

    def test_hard_lock_date(self):
        self.company.sudo().hard_lock_date = "2024-06-30"
        with self.assertRaisesRegex(UserError, "lock date"):
            self.import_statements([statement([tx("2024-06-30", "1", "x")])])

    def test_group_by_periods(self):
        rows = [tx("2025-01-03", "1", "a", unique_import_id="a"),
                tx("2025-01-20", "2", "b", unique_import_id="b"),
                tx("2025-02-01", "4", "c", unique_import_id="c")]
        result = self.import_statements([statement(rows)], group_by="month", source="gc")
        statements = result["statements"].sorted("first_line_index")
        self.assertEqual(len(statements), 2)
        self.assertEqual(sorted(statements[0].line_ids.mapped("payment_ref")), ["a", "b"])
        self.assertEqual((statements[0].balance_start, statements[0].balance_end_real), (0, 3))
        self.assertEqual((statements[1].balance_start, statements[1].balance_end_real), (3, 7))
        self.assertTrue(all(statements.mapped("is_complete")))
        # a later sync in February extends the February statement
        more = self.import_statements(
            [statement([tx("2025-02-10", "8", "d", unique_import_id="d"),
                        tx("2025-03-01", "16", "e", unique_import_id="e")])],
            group_by="month", source="gc")
        self.assertEqual(len(more["statements"]), 2)
        self.assertIn(statements[1], more["statements"])
        self.assertEqual(statements[1].balance_end_real, 15)
        self.assertTrue(statements[1].is_complete)
        march = more["statements"] - statements[1]
        self.assertEqual((march.balance_start, march.balance_end_real), (15, 31))
        self.assertTrue(march.is_valid)

    def test_group_by_day_week_bimonthly_none(self):
        rows = [tx("2025-01-06", "1", "mon"), tx("2025-01-07", "1", "tue"),
                tx("2025-01-13", "1", "next mon"), tx("2025-01-16", "1", "16th")]
        expected = {"day": 4, "week": 2, "bimonthly": 2}
        for group_by, count in expected.items():
            journal = self.journal.copy({"name": group_by, "code": group_by[:4].upper()})
            result = self.import_statements([statement(rows)], journal=journal,
                                            group_by=group_by)
            self.assertEqual(len(result["statements"]), count, group_by)
        journal = self.journal.copy({"name": "none", "code": "NONE"})
        result = self.import_statements([statement(rows)], journal=journal, group_by="none")
        self.assertEqual(len(result["lines"]), 4)
        self.assertFalse(result["statements"])
        self.assertFalse(result["lines"].statement_id)

    def test_attachments(self):
        attachment = self.env["ir.attachment"].create({"name": "file.xml", "raw": b"<x/>"})
        result = self.import_statements([statement([tx("2025-06-02", "1", "x")])],
                                        attachments=attachment)
        st = result["statements"]
        self.assertEqual(st.attachment_ids, attachment)
        self.assertEqual(attachment.res_model, "account.bank.statement")
        self.assertEqual(attachment.res_id, st.id)
        self.assertEqual(st.reference, "file.xml")

    def test_prepare_line_values_hook_contract(self):
        vals = self.builder._prepare_line_values(
            self.journal, {}, tx("2025-06-02", "1.10", "", ref="R"))
        self.assertEqual(vals["payment_ref"], "R")
        self.assertEqual(vals["amount"], 1.1)
        self.assertEqual(vals["journal_id"], self.journal.id)
