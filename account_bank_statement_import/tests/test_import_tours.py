import datetime

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestImportTours(HttpCase):
    """Statement import in a browser: the CSV mapping screen and dropped files."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.accountant = env["res.users"].create({
            "name": "Import Tour Accountant", "login": "bsi_import_tour",
            "password": "bsi_import_tour_password",
            "group_ids": [(4, env.ref(xmlid).id) for xmlid in (
                "account.group_account_manager", "account.group_account_user",
                "base.group_partner_manager")],
        })
        eur = env.ref("base.EUR")
        eur.active = True
        values = {
            "name": "Tour Import Bank", "code": "TIMP", "type": "bank", "sequence": 1,
            "bank_acc_number": "NL91ABNA0417164300",
        }
        if env.company.currency_id != eur:
            values["currency_id"] = eur.id
        cls.journal = env["account.journal"].create(values)
        cls.other_journals = env["account.journal"].search(
            [("type", "in", ("bank", "cash", "credit")), ("id", "!=", cls.journal.id)])

    def lines(self, journal=None):
        return self.env["account.bank.statement.line"].search(
            [("journal_id", "=", (journal or self.journal).id)], order="date, id")

    def summary(self, lines):
        return [(line.date, line.amount, line.payment_ref) for line in lines]

    def assert_nothing_elsewhere(self):
        self.assertFalse(self.env["account.bank.statement.line"].search_count(
            [("journal_id", "in", self.other_journals.ids),
             ("create_uid", "=", self.accountant.id)]))

    def test_csv_mapping_tour(self):
        self.start_tour("/odoo/accounting", "account_bank_statement_import_csv_mapping",
                        login="bsi_import_tour", timeout=180)
        lines = self.lines()
        # month-first dates, as switched on the mapping screen; the failed Test left nothing
        self.assertEqual(self.summary(lines), [
            (datetime.date(2025, 3, 1), -3.5, "Tour coffee"),
            (datetime.date(2025, 4, 2), 1250.0, "Tour salary"),
        ])
        self.assertEqual(lines.mapped("partner_name"), ["Bean Shop", "ACME Tour"])
        self.assertEqual(lines.statement_id.attachment_ids.mapped("name"),
                         ["tour_mapping.csv"])
        self.assertTrue(all(":fp:" in uid for uid in lines.mapped("unique_import_id")))
        self.assertEqual(set(lines.mapped("move_id.state")), {"posted"})
        self.assert_nothing_elsewhere()

    def test_drop_files_tour(self):
        self.start_tour("/odoo/accounting", "account_bank_statement_import_drop_files",
                        login="bsi_import_tour", timeout=180)
        lines = self.lines()
        self.assertEqual(self.summary(lines), [
            (datetime.date(2025, 3, 1), 10.0, "Card drop one"),
            (datetime.date(2025, 3, 2), -2.5, "Card drop two"),
            (datetime.date(2025, 3, 10), 120.0, "Dropped CAMT in"),
            (datetime.date(2025, 3, 11), -20.0, "Dropped CAMT out"),
        ])
        # one statement per file, the file attached to it
        self.assertEqual(
            [line.statement_id.attachment_ids.mapped("name") for line in lines],
            [["card_1.csv"], ["card_2.csv"], ["dropped_camt.xml"], ["dropped_camt.xml"]])
        camt = lines[-1].statement_id
        self.assertEqual(camt.name, "TOUR-CAMT-1")
        self.assertEqual((camt.balance_start, camt.balance_end_real), (7.5, 107.5))
        self.assertEqual(lines[2:].mapped("unique_import_id"),
                         ["camt:TOUR-REF-1", "camt:TOUR-REF-2"])
        self.assert_nothing_elsewhere()

    def test_several_layouts_tour(self):
        self.start_tour("/odoo/accounting", "account_bank_statement_import_several_layouts",
                        login="bsi_import_tour", timeout=180)
        self.assertEqual(self.summary(self.lines()), [
            (datetime.date(2025, 3, 1), -1.5, "Layout B one"),
            (datetime.date(2025, 4, 2), 2.0, "Layout B two"),
            (datetime.date(2025, 5, 1), 5.0, "Layout A one"),
        ])
        self.assert_nothing_elsewhere()
