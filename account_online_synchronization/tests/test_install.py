from odoo.exceptions import AccessError
from odoo.tests import Form, TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, login="aos_accountant",
            groups="account.group_account_manager,account.group_account_user"
        )
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.user_b = new_test_user(
            cls.env, login="aos_user_b", groups="account.group_account_manager",
            company_id=cls.company_b.id, company_ids=[(6, 0, cls.company_b.ids)],
        )

    def test_auto_installed_with_accounting(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "account_online_synchronization")]
        )
        self.assertEqual(module.state, "installed")
        self.assertTrue(module.auto_install)

    def test_menu_only_in_developer_mode(self):
        menu = self.env.ref("account_online_synchronization.account_online_synchronization_menu")
        self.assertEqual(menu.group_ids, self.env.ref("base.group_no_one"))
        menus = self.env["ir.ui.menu"].with_user(self.accountant)
        self.assertIn(menu.id, menus._visible_menu_ids(debug=True))
        self.assertNotIn(menu.id, menus._visible_menu_ids(debug=False))

    def test_secrets_and_company_rules(self):
        link = self.env["account.online.link"].with_user(self.accountant).create(
            {"name": "My Bank"}
        )
        link.sudo().provider_data = {"access": "secret-token"}
        self.assertNotIn(
            "provider_data", link.with_user(self.accountant).fields_get()
        )
        with self.assertRaises(AccessError):
            link.with_user(self.accountant).read(["provider_data"])
        self.assertFalse(
            self.env["account.online.link"].with_user(self.user_b).search(
                [("id", "=", link.id)]
            )
        )

    def test_journal_form_online_settings(self):
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1
        )
        self.assertEqual(journal.online_sync_period, "month")
        with Form(journal.with_user(self.accountant)) as journal_form:
            journal_form.bank_statements_source = "online_sync"
            journal_form.online_sync_period = "week"
        self.assertEqual(journal.online_sync_period, "week")
