from odoo.tests import tagged

from .common import SANDBOX_FINANCE, OnlineSyncHttpCase

SELECT_ACTION = "account_online_synchronization.account_online_link_action_select_accounts"


@tagged("post_install", "-at_install")
class TestCallbackRoute(OnlineSyncHttpCase):
    """The bank sends the browser back to the callback route."""

    def callback(self, query):
        return self.url_open(
            "/account_online_synchronization/callback", params=query, allow_redirects=False
        )

    def last_link(self):
        return self.env["account.online.link"].search([], order="id desc", limit=1)

    def test_callback_connects_and_opens_account_choice(self):
        query = self.authorise(self.start())
        self.authenticate("aos_manager", "aos_manager")
        response = self.callback(query)
        self.assertEqual(response.status_code, 303)
        link = self.last_link()
        self.assertEqual(link.institution_identifier, SANDBOX_FINANCE)
        self.assertEqual(link.state, "connected")
        self.assertTrue(response.headers["Location"].endswith(
            f"/odoo/{link.id}/action-{SELECT_ACTION}"))
        # What the web client runs for that URL: the account choice for this connection.
        action = self.env.ref(SELECT_ACTION).with_context(
            active_id=link.id, active_ids=[link.id], active_model=link._name
        ).run()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(wizard.account_online_link_id, link)
        self.assertEqual(len(wizard.line_ids), 2)
        # The reference is single-use.
        self.assertEqual(self.callback(query).status_code, 404)

    def test_cancelled_at_bank_returns_to_connection(self):
        query = self.authorise(self.start(), action="cancel")
        self.authenticate("aos_manager", "aos_manager")
        response = self.callback(query)
        self.assertEqual(response.status_code, 303)
        link = self.last_link()
        self.assertEqual(link.state, "disconnected")
        self.assertIn(f"/{link.id}", response.headers["Location"])

    def test_callback_needs_a_user_with_access(self):
        query = self.authorise(self.start())
        response = self.callback(query)  # not logged in
        self.assertIn("/web/login", response.headers.get("Location", ""))
        self.assertEqual(self.last_link().state, "disconnected")
        self.authenticate("aos_manager", "aos_manager")
        self.assertEqual(self.callback({"ref": "f" * 32}).status_code, 404)


@tagged("post_install", "-at_install")
class TestDashboardTour(OnlineSyncHttpCase):
    def test_dashboard_card_error_and_synchronize_now(self):
        link = self.connect(per_day=2)
        self.attach(link)
        self.add_line(self.journal, self.days_ago(3))
        self.sandbox.inject_fault("500", path="/transactions/", count=3)  # with retries
        link.action_fetch_transactions()
        self.assertEqual(link.state, "error")
        self.start_tour("/odoo/action-account.open_account_journal_dashboard_kanban",
                        "account_online_synchronization_dashboard", login="aos_manager")
        self.assertEqual(link.state, "connected")
        self.assertTrue(self.lines().filtered("online_transaction_identifier"))
