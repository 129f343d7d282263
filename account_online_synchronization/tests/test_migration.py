from odoo.tests import TransactionCase, tagged

from odoo.addons.account_online_synchronization.hooks import LEGACY_STATUS, post_init_hook


@tagged("post_install", "-at_install")
class TestLegacyMigration(TransactionCase):
    """A database migrated from 12.0/13.0 with Enterprise's ``account_online_sync``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cr = cls.env.cr
        # The legacy tables as account_online_sync 13.0 made them (columns used here).
        cr.execute("""
            CREATE TABLE account_online_provider (
                id serial PRIMARY KEY, name varchar, provider_type varchar,
                provider_account_identifier varchar, provider_identifier varchar,
                status varchar, status_code varchar, message varchar,
                action_required boolean, last_refresh timestamp, company_id integer
            );
            CREATE TABLE account_online_journal (
                id serial PRIMARY KEY, name varchar, account_online_provider_id integer,
                account_number varchar, online_identifier varchar, last_sync date,
                balance double precision
            );
            ALTER TABLE account_journal ADD COLUMN account_online_journal_id integer;
        """)
        cr.execute("""
            INSERT INTO account_online_provider
                (name, provider_type, provider_account_identifier, status, message,
                 action_required, company_id)
            VALUES ('Old KBC', 'yodlee', 'yodlee-secret-login-42', 'SUCCESS', NULL, false, %s),
                   ('Old ING', 'plaid', 'plaid-access-token-7', 'FAILED', 'x', false, %s)
            RETURNING id
        """, [cls.env.company.id] * 2)
        cls.provider_ids = [row[0] for row in cr.fetchall()]
        cr.execute("""
            INSERT INTO account_online_journal (name, account_online_provider_id,
                                                online_identifier)
            VALUES ('KBC current', %s, 'acc-1') RETURNING id
        """, [cls.provider_ids[0]])
        legacy_account = cr.fetchone()[0]
        cls.journal = cls.env["account.journal"].create(
            {"name": "KBC", "type": "bank", "code": "OKBC"}
        )
        cr.execute("UPDATE account_journal SET account_online_journal_id = %s WHERE id = %s",
                   [legacy_account, cls.journal.id])
        cls.legacy_module = cls.env["ir.module.module"].create(
            {"name": "account_online_sync", "state": "installed"}
        )

    def test_legacy_connections_disconnected_and_user_told(self):
        links_before = self.env["account.online.link"].search_count([])
        post_init_hook(self.env)
        self.env.cr.execute(
            "SELECT id, status, action_required, message, provider_account_identifier "
            "FROM account_online_provider ORDER BY id"
        )
        rows = self.env.cr.fetchall()
        self.assertEqual([r[1] for r in rows], [LEGACY_STATUS, LEGACY_STATUS])
        self.assertTrue(all(r[2] for r in rows))
        self.assertTrue(all("Reconnect" in r[3] for r in rows))
        # Credentials untouched and never reused: no new connection carries them.
        self.assertEqual([r[4] for r in rows],
                         ["yodlee-secret-login-42", "plaid-access-token-7"])
        self.assertEqual(self.env["account.online.link"].search_count([]), links_before)
        for link in self.env["account.online.link"].sudo().search([]):
            self.assertNotIn("secret-login", str(link.provider_data))
        # The journal's chatter says what to do.
        body = self.journal.message_ids[0].body
        self.assertIn("Old KBC", body)
        self.assertIn("connect this bank again", body)
        # The old module stays as it was: never uninstalled here.
        self.assertEqual(self.legacy_module.state, "installed")
        # Running again (e.g. reinstall) changes nothing more.
        messages = len(self.journal.message_ids)
        post_init_hook(self.env)
        self.assertEqual(len(self.journal.message_ids), messages)

    def test_without_legacy_tables_nothing_happens(self):
        self.env.cr.execute("DROP TABLE account_online_provider")
        messages = len(self.journal.message_ids)
        post_init_hook(self.env)
        self.assertEqual(len(self.journal.message_ids), messages)
