import base64

from odoo import SUPERUSER_ID
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from ..parsers import sheet as sheet_parser
from ..wizards.account_statement_import import header_signature
from .common import SAMPLES, ImportCase, statement, tx

CAMT = "bank-statement-import__test-camt053.xml"
CAMT_ZIP = "bank-statement-import__test-camt053.zip"
OFX = "ofxparse__checking.ofx"
QIF = "bank-statement-import__test_qif.qif"
CODA = "coda_standard__coda.cod"
MT940 = "bank-statement-import__test-ing.940"
CSV = "bank-statement-import__sample_statement_en.csv"
XLSX = "bank-statement-import__sample_statement_en.xlsx"


@tagged("post_install", "-at_install")
class TestImportWizard(ImportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("EUR", "USD"):
            cls.env.ref(f"base.{code}").sudo().active = True

    def bank_journal(self, code, number=None, currency="EUR"):
        values = {"name": f"Bank {code}", "code": code, "type": "bank"}
        if number:
            values["bank_acc_number"] = number
        currency = self.env.ref(f"base.{currency}")
        if currency != self.company.currency_id:
            values["currency_id"] = currency.id
        return self.env["account.journal"].create(values)

    def attachment(self, name, data=None):
        data = data if data is not None else (SAMPLES / name).read_bytes()
        return self.env["ir.attachment"].create(
            {"name": name, "datas": base64.b64encode(data)})

    def wizard(self, *names, journal=None, attachments=None):
        attachments = attachments or self.env["ir.attachment"].browse()
        for name in names:
            attachments |= self.attachment(name)
        context = {"default_journal_id": journal.id} if journal else {}
        return self.env["account.statement.import"].with_context(**context).create(
            {"attachment_ids": [(6, 0, attachments.ids)]})

    def lines_of(self, journal):
        return self.env["account.bank.statement.line"].search(
            [("journal_id", "=", journal.id)])

    def test_camt_from_account_number_then_again(self):
        journal = self.bank_journal("CAMT", "NL77 ABNA 0574 9087 65")
        action = self.wizard(CAMT).action_import()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("3 transaction(s) imported", action["params"]["message"])
        self.assertIn("1234Test/1", action["params"]["message"])
        lines = self.lines_of(journal)
        self.assertEqual(len(lines), 3)
        self.assertEqual(set(action["params"]["next"]["domain"][0][2]), set(lines.ids))
        statement = lines.statement_id
        self.assertEqual(statement.name, "1234Test/1")
        self.assertEqual(statement.balance_start, 15568.27)
        self.assertEqual(statement.balance_end_real, 15121.12)
        self.assertEqual(statement.attachment_ids.name, CAMT)
        self.assertTrue(all(uid.startswith("camt:") for uid in lines.mapped("unique_import_id")))
        again = self.wizard(CAMT).action_import()
        self.assertEqual(again["params"]["type"], "warning")
        self.assertIn("already imported", again["params"]["message"])
        self.assertEqual(len(self.lines_of(journal)), 3)

    def test_zip_of_statements(self):
        journal = self.bank_journal("CZIP", "NL77ABNA0574908765")
        self.wizard(CAMT_ZIP).action_import()
        statements = self.lines_of(journal).statement_id
        self.assertEqual(sorted(statements.mapped("name")), ["1234Test/2", "1234Test/3"])

    def test_formats_end_to_end(self):
        cases = [
            (OFX, self.bank_journal("OFX", "1452687~7", "USD"), 3),
            (CODA, self.bank_journal("CODA", "BE68539007547034"), 2),  # BBAN in the file
            (MT940, self.bank_journal("MT94", "NL77INGB0574908765"), 8),
        ]
        for name, journal, count in cases:
            self.wizard(name).action_import()
            lines = self.lines_of(journal)
            self.assertEqual(len(lines), count, name)
            self.assertTrue(lines.statement_id.attachment_ids, name)
            self.assertEqual(self.wizard(name).action_import()["params"]["type"], "warning")

    def test_qif_needs_the_journal(self):
        with self.assertRaisesRegex(UserError, "does not say which account"):
            self.wizard(QIF).action_import()
        journal = self.bank_journal("QIF", currency="USD")
        self.wizard(QIF, journal=journal).action_import()
        lines = self.lines_of(journal)
        self.assertEqual(len(lines), 5)
        self.assertTrue(all(":fp:" in uid for uid in lines.mapped("unique_import_id")))
        # ID-less file imported again: every fingerprint is known
        again = self.wizard(QIF, journal=journal).action_import()
        self.assertIn("5 transaction(s)", again["params"]["message"])
        self.assertEqual(len(self.lines_of(journal)), 5)

    def test_journal_of_another_account(self):
        journal = self.bank_journal("OTHR", "NL91ABNA0417164300")
        with self.assertRaisesRegex(UserError, "NL77ABNA0574908765.*NL91ABNA0417164300"):
            self.wizard(CAMT, journal=journal).action_import()

    def test_no_journal_set_the_number(self):
        journal = self.bank_journal("NONE")
        wizard = self.wizard(MT940, journal=journal)
        result = wizard.action_import()
        self.assertEqual(result["res_model"], "account.statement.import")
        self.assertEqual(wizard.state, "journal")
        self.assertEqual(wizard.file_account_number, "NL77INGB0574908765")
        self.assertTrue(wizard.can_set_account_number)
        self.assertIn("No journal holds", wizard.message)
        wizard.action_set_account_number()
        self.assertEqual(journal.bank_acc_number, "NL77INGB0574908765")
        self.assertEqual(len(self.lines_of(journal)), 8)

    def test_no_journal_create_one(self):
        wizard = self.wizard(MT940)
        wizard.action_import()
        self.assertEqual(wizard.state, "journal")
        self.assertFalse(wizard.can_set_account_number)
        wizard.action_create_journal()
        journal = wizard.journal_id
        self.assertEqual(journal.type, "bank")
        self.assertEqual(journal.bank_acc_number, "NL77INGB0574908765")
        self.assertEqual(len(self.lines_of(journal)), 8)

    def test_parse_error_names_file(self):
        journal = self.bank_journal("BAD", "NL77ABNA0574908765")
        bad = self.attachment("broken.xml", b"<?xml version='1.0'?><Document "
                              b"xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'>"
                              b"<BkToCstmrStmt></BkToCstmrStmt></Document>")
        with self.assertRaisesRegex(UserError, "broken.xml"):
            self.wizard(journal=journal, attachments=bad).action_import()

    def test_failing_line_rolls_everything_back(self):
        journal = self.bank_journal("ROLL", "NL77ABNA0574908765", "USD")
        journal.currency_id = self.env.ref("base.EUR") \
            if self.company.currency_id.name != "EUR" else False
        self.company.sudo().fiscalyear_lock_date = "2013-12-31"
        wizard = self.wizard(CAMT, QIF, journal=journal)
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            wizard.action_import()
        message = str(caught.exception)
        self.assertIn(QIF, message)
        self.assertIn("lock date", message)
        self.assertFalse(self.lines_of(journal), "the CAMT file's lines are gone too")

    def test_csv_mapping_step_test_save_and_reuse(self):
        journal = self.bank_journal("CSV", currency="USD")
        wizard = self.wizard(CSV, journal=journal)
        result = wizard.action_import()
        self.assertEqual(result["res_model"], "account.statement.import")
        self.assertEqual(wizard.state, "mapping")
        self.assertIn("Your best supplier", wizard.preview_html)
        self.assertEqual(wizard.map_date, "Date")
        self.assertEqual(wizard.map_amount, "Amount")
        with Form(wizard) as form:
            form.map_partner_name = "Partner Name"
        wizard.action_test()
        self.assertIn("2 transaction(s) imported", wizard.test_result)
        self.assertFalse(self.lines_of(journal), "the test run saved nothing")
        wizard.mapping_name = "Sample bank"
        wizard.action_save_mapping()
        mapping = wizard.mapping_id
        self.assertEqual(mapping.journal_id, journal)
        self.assertEqual(mapping.mapping["partner_name"], "Partner Name")
        wizard.action_import()
        lines = self.lines_of(journal)
        self.assertEqual(len(lines), 2)
        self.assertEqual(sorted(lines.mapped("partner_name")), ["Azure Interior", "John Doe"])
        foreign = lines.filtered("foreign_currency_id")
        self.assertEqual((foreign.foreign_currency_id.name, foreign.amount_currency),
                         ("EUR", 1000.0))
        # same header next time: the saved mapping is used, no mapping step
        again = self.wizard(CSV, journal=journal).action_import()
        self.assertEqual(again["tag"], "display_notification")
        self.assertIn("already imported", again["params"]["message"])

    def test_mapping_step_warns_and_edits(self):
        journal = self.bank_journal("CSVW", currency="USD")
        ambiguous = self.attachment(
            "ambiguous.csv", b"Date;Label;Amount\n03/01/2025;first;-3,50\n04/02/2025;"
                             b"second;12,00\n")
        wizard = self.wizard(journal=journal, attachments=ambiguous)
        wizard.action_import()
        self.assertEqual(wizard.state, "mapping")
        self.assertEqual(wizard.sheet_attachment_id, ambiguous)
        self.assertEqual(wizard.layout_count, 1)
        # detection says what it was unsure about
        self.assertIn("%d/%m/%Y, %m/%d/%Y", wizard.message)
        self.assertEqual(wizard.map_date_format, "%d/%m/%Y")
        # the preview follows the formatting options as they are edited
        with Form(wizard) as form:
            form.map_delimiter = ","
            self.assertIn("<th>Date;Label;Amount</th>", form.preview_html)
            form.map_delimiter = ";"
            self.assertIn("<th>Label</th>", form.preview_html)
            form.map_date_format = "%m/%d/%Y"
        wizard.action_import()
        lines = self.lines_of(journal).sorted("date")
        # Import used the date format as edited on the screen (no Test needed)
        self.assertEqual([str(day) for day in lines.mapped("date")],
                         ["2025-03-01", "2025-04-02"])

    # Two banks' CSV exports (other columns) and a CAMT file dropped together.
    BANK_A = (b"Booking date;Text;Amount\n01/03/2025;Bank A coffee;-3,50\n"
              b"02/04/2025;Bank A salary;1.250,00\n")
    BANK_B = b"Date,Label,Amount\n03/01/2025,Bank B first,-7.25\n04/02/2025,Bank B second,12.00\n"

    def several_layouts(self, bank_b=BANK_B):
        journal = self.bank_journal("LAYS", "NL77ABNA0574908765")
        bank_a = self.attachment("bank_a.csv", self.BANK_A)
        mapping = sheet_parser.detect(self.BANK_A, filename="bank_a.csv").to_dict()
        mapping["date_format"] = "%d/%m/%Y"
        header = sheet_parser.preview(self.BANK_A, mapping, rows=0)["header"]
        saved = self.env["account.statement.import.sheet.mapping"].create({
            "name": "Bank A", "header_signature": header_signature(header),
            "mapping": mapping, "journal_id": journal.id,
        })
        bank_b = self.attachment("bank_b.csv", bank_b)
        wizard = self.wizard(CAMT, journal=journal, attachments=bank_a | bank_b)
        return journal, wizard, bank_a, bank_b, saved

    def test_several_layouts_mapped_tested_and_imported(self):
        journal, wizard, bank_a, bank_b, saved = self.several_layouts()
        wizard.action_import()
        # the layout without a saved mapping is shown for review
        self.assertEqual(wizard.state, "mapping")
        self.assertEqual(wizard.layout_count, 2)
        self.assertEqual(wizard.sheet_attachment_id, bank_b)
        self.assertIn("bank_b.csv", wizard.layout_label)
        self.assertIn("of 2", wizard.layout_label)
        self.assertIn("Bank B first", wizard.preview_html)
        self.assertFalse(wizard.mapping_id)
        self.assertEqual(wizard.map_date_format, "%d/%m/%Y")
        with Form(wizard) as form:
            form.map_date_format = "%m/%d/%Y"
        wizard.action_test()
        # 2 + 2 CSV rows and the CAMT file's 3 entries
        self.assertIn("7 transaction(s) imported", wizard.test_result)
        self.assertFalse(self.lines_of(journal), "the test run saved nothing")
        # the other layout: its saved mapping, its own preview and date format
        index = wizard.layout_index
        wizard.action_next_layout() if index == 0 else wizard.action_previous_layout()
        self.assertEqual(wizard.sheet_attachment_id, bank_a)
        self.assertIn("bank_a.csv", wizard.layout_label)
        self.assertEqual(wizard.mapping_id, saved)
        self.assertIn("Bank A coffee", wizard.preview_html)
        self.assertEqual(wizard.map_date, "Booking date")
        self.assertEqual(wizard.map_date_format, "%d/%m/%Y")
        # back to bank B: the edit is kept; save its mapping for next time
        wizard.action_previous_layout() if index == 0 else wizard.action_next_layout()
        self.assertEqual(wizard.sheet_attachment_id, bank_b)
        self.assertEqual(wizard.map_date_format, "%m/%d/%Y")
        wizard.mapping_name = "Bank B"
        wizard.action_save_mapping()
        self.assertEqual(wizard.mapping_id.mapping["date_format"], "%m/%d/%Y")
        self.assertEqual(saved.mapping["date_format"], "%d/%m/%Y", "bank A's is untouched")
        action = wizard.action_import()
        self.assertIn("7 transaction(s) imported", action["params"]["message"])
        lines = self.lines_of(journal).sorted(lambda line: (line.date, line.payment_ref))
        self.assertEqual(
            [(str(line.date), line.amount, line.payment_ref) for line in lines
             if "Bank" in line.payment_ref],
            [("2025-03-01", -3.5, "Bank A coffee"), ("2025-03-01", -7.25, "Bank B first"),
             ("2025-04-02", 1250.0, "Bank A salary"), ("2025-04-02", 12.0, "Bank B second")])
        self.assertEqual(len(lines), 7)
        self.assertEqual(
            sorted(lines.statement_id.mapped(lambda st: st.attachment_ids.name)),
            sorted(["bank_a.csv", "bank_b.csv", CAMT]))
        # next time both layouts have a saved mapping: no mapping step
        again = self.wizard(CAMT, journal=journal, attachments=self.attachment(
            "bank_a.csv", self.BANK_A) | self.attachment("bank_b.csv", self.BANK_B))
        result = again.action_import()
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("already imported", result["params"]["message"])
        self.assertEqual(len(self.lines_of(journal)), 7)

    def test_several_layouts_file_removed_in_mapping_step(self):
        journal, wizard, bank_a, bank_b, _saved = self.several_layouts()
        wizard.action_import()
        with Form(wizard) as form:
            form.map_date_format = "%m/%d/%Y"
        wizard.attachment_ids -= bank_a
        wizard.action_import()
        lines = self.lines_of(journal)
        self.assertEqual(len(lines), 5)
        self.assertEqual(
            sorted((str(line.date), line.payment_ref) for line in lines
                   if "Bank" in line.payment_ref),
            [("2025-03-01", "Bank B first"), ("2025-04-02", "Bank B second")])
        self.assertEqual(wizard.layout_count, 1)
        self.assertEqual(wizard.sheet_attachment_id, bank_b)

    def test_several_layouts_error_rolls_everything_back(self):
        month_first = b"Date,Label,Amount\n03/01/2025,Bank B first,-7.25\n04/13/2025,x,1.00\n"
        journal, wizard, _bank_a, _bank_b, _saved = self.several_layouts(month_first)
        wizard.action_import()
        self.assertEqual(wizard.state, "mapping")
        self.assertEqual(wizard.map_date_format, "%m/%d/%Y")
        # a wrong date format for this layout: its third row has no 13th month
        with Form(wizard) as form:
            form.map_date_format = "%d/%m/%Y"
        wizard.action_test()
        self.assertIn("Error", wizard.test_result)
        self.assertIn("bank_b.csv", wizard.test_result)
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            wizard.action_import()
        message = str(caught.exception)
        self.assertIn("bank_b.csv", message)
        self.assertIn("row 3", message)
        self.assertFalse(self.lines_of(journal), "no line of any file is left")

    def test_xlsx_mapping_step(self):
        journal = self.bank_journal("XLSX", currency="USD")
        wizard = self.wizard(XLSX, journal=journal)
        wizard.action_import()
        self.assertEqual(wizard.state, "mapping")
        wizard.action_import()
        self.assertEqual(len(self.lines_of(journal)), 2)

    def test_dashboard_entry_points(self):
        journal = self.bank_journal("DASH", "NL77ABNA0574908765")
        action = journal.action_import_statement_file()
        self.assertEqual(action["res_model"], "account.statement.import")
        self.assertEqual(action["context"]["default_journal_id"], journal.id)
        attachment = self.attachment(CAMT)
        result = self.env["account.journal"].with_context(
            default_journal_id=journal.id).create_document_from_attachment(attachment.ids)
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(len(self.lines_of(journal)), 3)
        self.assertEqual(attachment.res_model, "account.bank.statement")

    def test_other_company_journal_refused(self):
        root = self.env(user=SUPERUSER_ID)
        other = root["res.company"].create({"name": "Other Co"})
        journal = root["account.journal"].create({
            "name": "Foreign bank", "code": "FRGN", "type": "bank", "company_id": other.id,
            "bank_acc_number": "NL77ABNA0574908765",
        })
        attachment = self.attachment(CAMT)
        with self.assertRaises(AccessError):
            self.env["account.statement.import"].create({
                "journal_id": journal.id, "attachment_ids": [(6, 0, attachment.ids)],
            }).action_import()
        # without a journal, the other company's journal is not even a candidate
        wizard = self.wizard(CAMT)
        wizard.action_import()
        self.assertEqual(wizard.state, "journal")

    def test_invoicing_user_cannot_import(self):
        clerk = new_test_user(self.env(user=SUPERUSER_ID), login="bsi_clerk",
                              groups="account.group_account_invoice")
        with self.assertRaises(AccessError):
            self.env["account.statement.import"].with_user(clerk).create({})
        journal = self.bank_journal("CLRK")
        with self.assertRaises(AccessError):
            self.builder.with_user(clerk)._import_statements(
                journal.with_user(clerk), [statement([tx("2025-01-02", "1", "x")])])
        self.assertFalse(self.lines_of(journal))
