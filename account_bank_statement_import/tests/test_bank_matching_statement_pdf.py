import io

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.pdf import PdfFileReader

REPORT = "account.report_statement"


@tagged("post_install", "-at_install")
class TestBankMatchingStatementPdf(HttpCase):
    """The statement printed through wkhtmltopdf, as a user gets it.

    An HttpCase: wkhtmltopdf loads the report's stylesheets from the server's base URL, which
    only answers while the test HTTP server runs (``web.base.url`` points at it here).
    The report is printed with a system font (``static/tests/report/system_font.css``):
    wkhtmltopdf builds without patched Qt, such as Debian's, draw web fonts as outlines,
    which leave no text to read back from the PDF.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, login="bm_pdf_accountant",
            groups="account.group_account_manager,account.group_account_user",
        )
        cls.env["ir.asset"].create({
            "name": "Statement PDF test: system font",
            "bundle": "web.report_assets_pdf",
            "path": "account_bank_statement_import/static/tests/report/system_font.css",
        })
        cls.env = cls.env(user=cls.accountant)
        cls.journal = cls.env["account.journal"].create({
            "name": "PDF Bank", "code": "PDFB", "type": "bank",
        })
        cls.opening = cls.st_line(1100.0, "2025-01-20", "Opening deposit")
        cls.env["account.bank.statement"].create({
            "name": "January", "balance_start": 0.0, "balance_end_real": 1100.0,
            "line_ids": [(6, 0, cls.opening.ids)],
        })
        cls.rent = cls.st_line(-50.0, "2025-02-03", "Rent February")
        cls.customer = cls.st_line(200.0, "2025-02-10", "Customer Zebulon")
        cls.fees = cls.st_line(-25.0, "2025-02-20", "Bank fees")
        cls.statement = cls.env["account.bank.statement"].create({
            "name": "February 2025",
            "reference": "BANK-REF-0225",
            "balance_start": 1100.0,
            "balance_end_real": 1225.0,
            "line_ids": [(6, 0, (cls.rent | cls.customer | cls.fees).ids)],
        })

    @classmethod
    def st_line(cls, amount, date, label):
        return cls.env["account.bank.statement.line"].create({
            "journal_id": cls.journal.id, "date": date, "payment_ref": label, "amount": amount,
        })

    def render_pdf(self, statements):
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        content, report_type = report._render_qweb_pdf(REPORT, statements.ids)
        self.assertEqual(report_type, "pdf")
        return content

    def pdf_text(self, content):
        """The PDF's text, words separated by single spaces, without the currency symbol
        (wkhtmltopdf separates words with tabs and cells with new lines)."""
        reader = PdfFileReader(io.BytesIO(content))
        text = " ".join(page.extract_text() for page in reader.pages)
        text = text.replace("\u200b", "").replace(self.statement.currency_id.symbol, " ")
        return " ".join(text.split())

    def test_pdf_content(self):
        content = self.render_pdf(self.statement)
        self.assertTrue(content.startswith(b"%PDF-"), content[:20])
        text = self.pdf_text(content)
        self.assertIn("PDFB February 2025", text)
        self.assertIn("Reference: BANK-REF-0225", text)
        self.assertIn("Period: 02/03/2025 - 02/20/2025", text)  # en_US dates
        self.assertIn("Starting Balance 02/03/2025 1,100.00", text)
        self.assertIn("Ending Balance 02/20/2025 1,225.00", text)
        # Every transaction, in order, with its amount and the running balance after it.
        rows = [
            "02/03/2025 Rent February -50.00 1,050.00",
            "02/10/2025 Customer Zebulon 200.00 1,250.00",
            "02/20/2025 Bank fees -25.00 1,225.00",
        ]
        for row in rows:
            self.assertIn(row, text)
        positions = [text.index(row) for row in rows]
        self.assertEqual(positions, sorted(positions), text)
        self.assertNotIn("Opening deposit", text)  # January's transaction

    def test_print_attaches_pdf_once(self):
        self.assertFalse(self.statement.attachment_ids)
        content = self.render_pdf(self.statement)
        attachment = self.statement.attachment_ids
        self.assertEqual(len(attachment), 1)
        self.assertEqual(attachment.name, "February 2025.pdf")
        self.assertEqual(attachment.mimetype, "application/pdf")
        self.assertEqual(attachment.raw, content)
        self.assertIn("Reference: BANK-REF-0225", self.pdf_text(attachment.raw))
        # Printing again keeps the one document.
        self.render_pdf(self.statement)
        self.assertEqual(self.statement.attachment_ids, attachment)

    def test_print_keeps_existing_attachment(self):
        bank_pdf = self.env["ir.attachment"].create({
            "name": "bank.pdf", "raw": b"%PDF-1.4 from the bank", "mimetype": "application/pdf",
            "res_model": "account.bank.statement", "res_id": self.statement.id,
        })
        self.statement.attachment_ids = [(6, 0, bank_pdf.ids)]
        self.render_pdf(self.statement)
        self.assertEqual(self.statement.attachment_ids, bank_pdf)

