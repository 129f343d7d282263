import base64

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..parsers import sheet as sheet_parser
from ..parsers.errors import ParseError
from .common import ImportCase

# A QIF file whose third line holds an amount that is not a number.
BAD_QIF = b"!Type:Bank\nD01/02/2024\nTabc\n^\n"


@tagged("post_install", "-at_install")
class TestImportTranslation(ImportCase):
    """Parser messages, locations and detection warnings reach the user translated.

    The French terms come from the addon's ``i18n/fr.po`` (Odoo reads code
    translations from the module's .po files), so this also checks that the parser
    templates and that file agree.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"].sudo()._activate_lang("fr_FR")
        cls.fr_env = cls.env(context=dict(cls.env.context, lang="fr_FR"))

    def wizard(self, name, data, env=None):
        env = env or self.env
        attachment = env["ir.attachment"].create(
            {"name": name, "datas": base64.b64encode(data)})
        return env["account.statement.import"].with_context(
            default_journal_id=self.journal.id).create(
            {"attachment_ids": [(6, 0, attachment.ids)]})

    def test_parse_error_in_french(self):
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            self.wizard("bad.qif", BAD_QIF, self.fr_env).action_import()
        self.assertEqual(
            caught.exception.args[0],
            "Le fichier bad.qif ne peut pas être importé (ligne 3) : montant invalide 'abc'",
        )
        self.assertFalse(self.env["account.bank.statement.line"].search(
            [("journal_id", "=", self.journal.id)]))

    def test_parse_error_in_english_unchanged(self):
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            self.wizard("bad.qif", BAD_QIF).action_import()
        self.assertEqual(caught.exception.args[0],
                         "The file bad.qif cannot be imported (line 3): invalid amount 'abc'")

    def test_sheet_row_error_nested_terms_in_french(self):
        """Row, column (a header-less 'column 1'), message and its inner detail."""
        mapping = {"date": 0, "amount": 1, "has_header": False, "delimiter": ";",
                   "decimal_sep": ",", "date_format": "%d/%m/%Y"}
        with self.assertRaises(ParseError) as caught:
            sheet_parser.parse(b"2024-02-01;12,00\n", mapping=mapping)
        wizard = self.wizard("bad.qif", BAD_QIF, self.fr_env)
        self.assertEqual(
            wizard._parse_error_message("rows.csv", caught.exception),
            "Le fichier rows.csv ne peut pas être importé (ligne 1, colonne 'colonne 1') : "
            "'2024-02-01' n'est pas une date valide au format %d/%m/%Y ('2024-02-01' ne "
            "correspond pas au format de date %d/%m/%Y)",
        )

    def test_detection_warning_in_french(self):
        """The mapping step shows what detection was unsure about in the user's language."""
        ambiguous = b"Date;Label;Amount\n03/01/2025;first;-3,50\n04/02/2025;second;12,00\n"
        wizard = self.wizard("ambiguous.csv", ambiguous, self.fr_env)
        wizard.action_import()
        self.assertEqual(wizard.state, "mapping")
        self.assertIn("les dates de 'Date' correspondent à plusieurs formats "
                      "(%d/%m/%Y, %m/%d/%Y) ; format choisi : %d/%m/%Y", wizard.message)
        # the warning is stored with its template: it reads back in English too
        warning = wizard.mapping_json["warnings"][0]
        self.assertEqual(warning["template"],
                         "dates in %(name)r fit several formats (%(values)s); chose %(choice)s")
        self.assertEqual(wizard.with_context(lang="en_US")._parser_text(warning),
                         "dates in 'Date' fit several formats (%d/%m/%Y, %m/%d/%Y); "
                         "chose %d/%m/%Y")

    def test_saved_mapping_with_plain_string_warnings(self):
        """Mappings saved before templates (warnings as plain strings) still load."""
        self.assertEqual(self.wizard("bad.qif", BAD_QIF, self.fr_env)._parser_text(
            "dates read day first"), "dates read day first")
