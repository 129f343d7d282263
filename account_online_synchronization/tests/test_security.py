from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import PARAM, OnlineSyncCase


@tagged("post_install", "-at_install")
class TestSecurity(OnlineSyncCase):
    """Secrets stay with administrators; every record stays in its company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Bank Feeds B"})
        cls.manager_b = new_test_user(
            cls.env, login="aos_manager_b",
            groups="account.group_account_manager,account.group_account_user",
            company_id=cls.company_b.id, company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.journal_b = cls.env["account.journal"].with_company(cls.company_b).create(
            {"name": "Bank B", "type": "bank", "code": "BNKB", "company_id": cls.company_b.id,
             "currency_id": cls.eur.id}
        )

    def test_secrets_readable_by_administrators_only(self):
        link = self.connect(per_day=0)
        for field in ("provider_data", "consent_reference"):
            self.assertNotIn(field, link.with_user(self.manager).fields_get())
            with self.assertRaises(AccessError):
                link.with_user(self.manager).read([field])
        with self.assertRaises(AccessError):
            self.env["ir.config_parameter"].with_user(self.manager).get_param(
                PARAM + "gocardless_secret_key"
            )
        # The secret never reaches the chatter, the error fields or a wizard.
        self.env["ir.config_parameter"].sudo().set_param(
            PARAM + "gocardless_secret_key", "s3cr3t-key-value"
        )
        self.attach(link)
        link.sudo().provider_data = {**link.sudo().provider_data, "gocardless_tokens": {}}
        link.action_fetch_transactions()
        self.assertEqual(link.state, "error")
        visible = " ".join([link.error_description, *link.message_ids.mapped("body")])
        self.assertNotIn("s3cr3t", visible)
        self.assertNotIn("s3cr3t", str(self.sandbox.requests_log))

    def test_connections_accounts_pending_are_company_scoped(self):
        link_a = self.connect(per_day=0)
        link_b = self.connect(per_day=0, user=self.manager_b)
        self.assertEqual(link_b.company_id, self.company_b)
        self.attach(link_b, self.journal_b)
        self.env["account.online.pending.transaction"].create({
            "account_online_account_id": link_a.account_online_account_ids[0].id,
            "amount": 5.0, "payment_ref": "pending A",
        })
        Link = self.env["account.online.link"].with_user(self.manager_b)
        self.assertEqual(Link.search([("id", "in", (link_a | link_b).ids)]), link_b)
        self.assertFalse(self.env["account.online.account"].with_user(self.manager_b).search(
            [("account_online_link_id", "=", link_a.id)]))
        self.assertFalse(self.env["account.online.pending.transaction"]
                         .with_user(self.manager_b).search([]))
        with self.assertRaises(AccessError):
            link_a.with_user(self.manager_b).action_fetch_transactions()
        # A journal only takes an account of its own company.
        with self.assertRaises(UserError):
            self.journal_b.account_online_account_id = link_a.account_online_account_ids[0]
        # The cron works across companies, each connection in its own.
        self.sandbox.state.reset()
        self.env["account.online.link"]._cron_sync_connections()
        self.assertEqual(link_b.state, "connected")
        self.assertTrue(link_b.account_online_account_ids[0].last_sync)
