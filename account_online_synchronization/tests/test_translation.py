from odoo.tests import tagged

from .common import BANCO_MANUAL, OnlineSyncCase


@tagged("post_install", "-at_install")
class TestTranslation(OnlineSyncCase):
    """The addon's French (``i18n/fr.po``) reaches the user: chatter messages and the
    connection's fields."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"].sudo()._activate_lang("fr_FR")

    def test_chatter_message_in_french(self):
        link = self.connect(BANCO_MANUAL, per_day=0)
        link.with_context(lang="fr_FR")._warn_no_auto_fetch()
        body = str(link.message_ids[0].body)
        self.assertIn("n'autorise pas la synchronisation automatique", body)
        self.assertIn("Récupérer les transactions", body)

    def test_chatter_message_in_english_unchanged(self):
        link = self.connect(BANCO_MANUAL, per_day=0)
        link._warn_no_auto_fetch()
        self.assertIn("does not allow automatic synchronization",
                      str(link.message_ids[0].body))
