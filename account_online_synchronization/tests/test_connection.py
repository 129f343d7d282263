from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import (
    BANCA_BREVE,
    BANCO_MANUAL,
    MFA_BANK,
    PARAM,
    PHONE,
    SANDBOX_FINANCE,
    OnlineSyncCase,
)


@tagged("post_install", "-at_install")
class TestConnection(OnlineSyncCase):
    """Add a Bank Account, consent, accounts, errors, guard: no statement line needed."""

    def test_search_shows_beta_badge_and_country_banks(self):
        wizard_form = Form(self.env["account.online.link.wizard"].with_user(self.manager))
        wizard_form.country_id = self.env.ref("base.fr")
        wizard_form.phone_number = PHONE
        wizard = wizard_form.save()
        wizard.action_search()
        names = set(wizard.result_ids.mapped("name"))
        self.assertIn("Beta Banque (beta)", names)
        self.assertIn("Sandbox Finance", names)
        self.assertNotIn("Nordbank Belgium", names)  # BE and NL only
        beta = wizard.result_ids.filtered("beta")
        self.assertEqual(beta.beta_label, "Beta")
        self.assertFalse((wizard.result_ids - beta).mapped("beta_label")[0])
        wizard.query = "sfin"
        wizard.action_search()
        self.assertEqual(wizard.result_ids.mapped("name"), ["Sandbox Finance"])

    def test_consent_flow_creates_connected_link_and_accounts(self):
        link = self.connect()
        self.assertEqual(link.state, "connected")
        self.assertEqual(link.institution_identifier, SANDBOX_FINANCE)
        self.assertEqual(link.phone_number, PHONE)
        self.assertEqual(link.history_days, 730)
        self.assertEqual(len(link.account_online_account_ids), 2)
        self.assertTrue(all(a.iban and a.currency_id.name == "EUR"
                            for a in link.account_online_account_ids))
        expiry = link.consent_expiry - fields.Datetime.now()
        self.assertGreater(expiry, timedelta(days=89))
        self.assertLessEqual(expiry, timedelta(days=90, seconds=60))
        self.assertFalse(link.sudo().consent_reference)
        self.assertTrue(link.sudo().provider_data["session"])
        self.assertTrue(link.sudo().provider_data["gocardless_tokens"]["access"])

    def test_phone_number_required_first_and_validated(self):
        wizard = self.env["account.online.link.wizard"].with_user(self.manager).create(
            {"country_id": self.env.ref("base.be").id}
        )
        self.assertTrue(wizard.phone_required)
        wizard.action_search()
        with self.assertRaisesRegex(UserError, "phone number"):
            wizard.result_ids[0].action_connect()
        with self.assertRaisesRegex(UserError, "not a valid phone number"):
            self.start(phone="12345")
        url = self.start(phone="0032 (470) 12.34.56")
        self.assertIn("/psd2/start/", url)
        link = self.env["account.online.link"].search([], order="id desc", limit=1)
        self.assertEqual(link.phone_number, "+32470123456")
        # The company is protected now: the next connection proposes the same number.
        wizard = self.env["account.online.link.wizard"].with_user(self.manager).create({})
        self.assertFalse(wizard.phone_required)
        self.assertEqual(wizard.phone_number, "+32470123456")
        with self.assertRaises(ValidationError):
            link.phone_number = "+0 12"

    def test_cancelled_consent_leaves_link_disconnected(self):
        url = self.start()
        query = self.authorise(url, action="cancel")
        self.assertEqual(query["error"], "UserCancelledSession")
        link = self.env["account.online.link"]._find_by_consent_reference(query["ref"])
        self.assertFalse(link._complete_consent(error=query["error"]))
        self.assertEqual(link.state, "disconnected")
        self.assertIn("cancelled", link.message_ids[0].body)
        self.assertEqual(link.security_failure_count, 1)

    def test_unknown_or_malformed_reference_finds_nothing(self):
        self.start()
        Link = self.env["account.online.link"]
        self.assertFalse(Link._find_by_consent_reference("0" * 32))
        self.assertFalse(Link._find_by_consent_reference("' OR 1=1 --"))
        self.assertFalse(Link._find_by_consent_reference(None))

    def test_account_selection_links_existing_and_new_journals(self):
        link = self.connect(per_day=0)
        wizard = self.env["account.online.account.selection"].with_user(self.manager).create(
            {"account_online_link_id": link.id}
        )
        self.assertEqual(len(wizard.line_ids), 2)
        current, savings = wizard.line_ids.sorted(lambda line: line.account_online_account_id.id)
        with Form(wizard) as selection:
            with selection.line_ids.edit(0) as line:
                line.journal_id = self.journal
        self.assertEqual(current.journal_id, self.journal)
        self.assertFalse(savings.journal_id)
        action = wizard.action_confirm()
        self.assertEqual(action["res_model"], "account.journal")
        self.assertEqual(self.journal.account_online_account_id, current.account_online_account_id)
        self.assertEqual(self.journal.bank_statements_source, "online_sync")
        new_journal = savings.account_online_account_id.journal_ids
        self.assertEqual(new_journal.type, "bank")
        self.assertEqual(new_journal.name, "Savings account")
        self.assertEqual(new_journal.bank_acc_number, savings.account_online_account_id.iban)
        # The first synchronization ran for both accounts.
        self.assertEqual(len(self.requests_to("/transactions/")), 2)
        self.assertTrue(current.account_online_account_id.last_sync)

    def test_account_in_another_currency_than_journal_is_refused(self):
        link = self.connect(per_day=0)
        usd_journal = self.env["account.journal"].create({
            "name": "USD Bank", "type": "bank", "code": "USDB",
            "currency_id": self.env.ref("base.USD").id,
        })
        if usd_journal.currency_id == self.company.currency_id:
            usd_journal.currency_id = False
        wizard = self.env["account.online.account.selection"].create(
            {"account_online_link_id": link.id}
        )
        wizard.line_ids[0].journal_id = usd_journal
        with self.assertRaisesRegex(UserError, "is in EUR"):
            wizard.action_confirm()
        self.assertFalse(usd_journal.account_online_account_id)

    def test_same_journal_twice_is_refused(self):
        link = self.connect(per_day=0)
        wizard = self.env["account.online.account.selection"].create(
            {"account_online_link_id": link.id}
        )
        wizard.line_ids.journal_id = self.journal
        with self.assertRaisesRegex(UserError, "same journal"):
            wizard.action_confirm()

    def test_provider_error_sets_error_state_with_reference_in_chatter(self):
        link = self.connect(per_day=0)
        self.attach(link)
        self.sandbox.inject_fault("500", path="/transactions/", count=5)
        with patch("odoo.addons.account_online_synchronization.models.account_online_link."
                   "_CountingTransport.backoff", return_value=0):
            link.action_fetch_transactions()
        self.assertEqual(link.state, "error")
        reference = link.error_reference
        self.assertTrue(reference)
        sent_ids = {r["request_id"] for r in self.requests_to("/transactions/")}
        self.assertIn(reference, sent_ids)  # support can find the very request
        self.assertIn(reference, link.message_ids[0].body)
        self.assertIn("Reference for support", link.message_ids[0].body)
        # The journal card shows it.
        self.assertEqual(self.journal.account_online_link_state, "error")
        self.assertEqual(self.journal.account_online_error_reference, reference)
        # Next time it works: back to connected, error cleared.
        link.action_fetch_transactions()
        self.assertEqual(link.state, "connected")
        self.assertFalse(link.error_reference)

    def test_expired_consent_disconnects_then_reconnect_rematches_by_iban(self):
        link = self.connect(per_day=0)
        account = self.attach(link)
        old_id, old_session = account.online_identifier, link.sudo().provider_data["session"]
        self.sandbox.inject_fault("consent_expired", path="/transactions/")
        link.action_fetch_transactions()
        self.assertEqual(link.state, "disconnected")
        self.assertIn("reconnect", link.error_description)
        # Reconnect: a new consent; the bank gives new account ids, matched by IBAN.
        action = link.with_user(self.manager).action_reconnect()
        query = self.authorise(action["url"])
        self.assertEqual(
            self.env["account.online.link"]._find_by_consent_reference(query["ref"]), link
        )
        self.assertTrue(link._complete_consent())
        self.assertEqual(link.state, "connected")
        self.assertEqual(len(link.account_online_account_ids), 2)
        self.assertNotEqual(account.online_identifier, old_id)
        self.assertEqual(self.journal.account_online_account_id, account)
        self.assertNotIn(old_session, self.sandbox.state.requisitions)  # revoked
        self.assertFalse(link.error_description)

    def test_fetch_accounts_refreshes_and_opens_selection(self):
        link = self.connect(per_day=0)
        link.account_online_account_ids[1].unlink()
        action = link.with_user(self.manager).action_fetch_accounts()
        self.assertEqual(action["res_model"], "account.online.account.selection")
        self.assertEqual(len(link.account_online_account_ids), 2)

    def test_institution_limits_are_respected(self):
        # Banca Breve gives 90 days: an empty journal asks exactly that far back.
        link = self.connect(BANCA_BREVE, per_day=0)
        self.attach(link)
        link.action_fetch_transactions()
        self.assertEqual(link.state, "connected")
        query = self.requests_to("/transactions/")[-1]["query"]
        self.assertEqual(query["date_from"], self.days_ago(89).isoformat())
        self.assertEqual(query["date_to"], self.today.isoformat())

    def test_first_sync_starts_day_after_last_line(self):
        link = self.connect(per_day=0)
        account = self.attach(link)
        self.add_line(self.journal, self.days_ago(6))
        link.action_fetch_transactions()
        query = self.requests_to("/transactions/")[-1]["query"]
        self.assertEqual(query["date_from"], self.days_ago(5).isoformat())
        self.assertEqual(account.last_sync, self.days_ago(1))
        # Next time: from the day after last_sync (today, not complete yesterday).
        link.action_fetch_transactions()
        query = self.requests_to("/transactions/")[-1]["query"]
        self.assertEqual(query["date_from"], self.today.isoformat())

    def test_never_before_lock_date(self):
        link = self.connect(per_day=0)
        account = self.attach(link)
        self.company.fiscalyear_lock_date = self.days_ago(10)
        link.action_fetch_transactions()
        query = self.requests_to("/transactions/")[-1]["query"]
        self.assertEqual(query["date_from"], self.days_ago(9).isoformat())
        # Even when the last line or last_sync is older than the lock date.
        account.sudo().last_sync = self.days_ago(40)
        self.company.hard_lock_date = self.days_ago(3)
        link.action_fetch_transactions()
        query = self.requests_to("/transactions/")[-1]["query"]
        self.assertEqual(query["date_from"], self.days_ago(2).isoformat())

    def test_daily_quota_spent_is_an_error_that_heals(self):
        link = self.connect(per_day=0)
        self.attach(link)
        self.sandbox.inject_fault("daily_limit", path="/transactions/")
        link.action_fetch_transactions()
        self.assertEqual(link.state, "error")
        self.assertIn("daily request limit", link.error_description)
        link.action_fetch_transactions()
        self.assertEqual(link.state, "connected")

    def test_already_synchronizing_is_refused(self):
        link = self.connect(per_day=0)
        self.attach(link)
        with self.registry.cursor() as other:
            other.execute(
                "SELECT pg_advisory_xact_lock(hashtext('account_online_link'), %s)", [link.id]
            )
            with self.assertRaisesRegex(UserError, "already synchronizing"):
                link.action_fetch_transactions()
            self.env["account.online.link"]._cron_sync_connections()  # skips quietly
            self.assertFalse(self.requests_to("/transactions/"))
        link.action_fetch_transactions()
        self.assertEqual(len(self.requests_to("/transactions/")), 1)


@tagged("post_install", "-at_install")
class TestGuard(OnlineSyncCase):
    """Suspicious activity blocks every request until an administrator reactivates."""

    def test_failed_authentications_block_until_phone_confirmed(self):
        link = self.connect(per_day=0)
        self.attach(link)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(PARAM + "gocardless_secret_key", "wrong-key")
        link.sudo().provider_data = {**link.sudo().provider_data, "gocardless_tokens": {}}
        for _attempt in range(link.SECURITY_MAX_FAILURES):
            link.action_fetch_transactions()
            self.assertEqual(link.state, "error")
            self.assertNotIn("wrong-key", link.error_description)
        link.action_fetch_transactions()
        self.assertEqual(link.state, "blocked")
        self.assertIn("failed authentications", link.message_ids[0].body)
        # Blocked: nothing reaches the bank, for the user or the cron.
        params.set_param(PARAM + "gocardless_secret_key",
                         "sandbox-demo-secret-key-0123456789")
        sent = len(self.sandbox.requests_log)
        with self.assertRaisesRegex(UserError, "blocked"):
            link.action_fetch_transactions()
        with self.assertRaisesRegex(UserError, "blocked"):
            link.action_update_credentials()
        self.env["account.online.link"]._cron_sync_connections()
        self.assertEqual(len(self.sandbox.requests_log), sent)
        # Users cannot lift the block or change the key to it.
        accountant = new_test_user(
            self.env, login="aos_user", groups="account.group_account_user"
        )
        with self.assertRaises(AccessError):
            link.with_user(self.manager).write({"state": "connected"})
        with self.assertRaisesRegex(UserError, "cannot change"):
            link.with_user(self.manager).phone_number = "+32470999999"
        with self.assertRaises(AccessError):
            self.env["account.online.link.reactivate"].with_user(accountant).create(
                {"account_online_link_id": link.id, "phone_number": PHONE}
            )
        # A wrong number keeps it blocked; the right one reactivates.
        wizard = self.env["account.online.link.reactivate"].with_user(self.manager).create(
            {"account_online_link_id": link.id, "phone_number": "+32470000000"}
        )
        self.assertEqual(wizard.action_confirm()["params"]["type"], "danger")
        self.assertEqual(link.state, "blocked")
        wizard = Form(self.env["account.online.link.reactivate"].with_user(self.manager)
                      .with_context(default_account_online_link_id=link.id))
        wizard.phone_number = "+32 470 12 34 56"
        self.assertEqual(wizard.save().action_confirm()["params"]["type"], "success")
        self.assertEqual(link.state, "connected")
        self.assertEqual(link.security_failure_count, 0)
        link.action_fetch_transactions()
        self.assertEqual(link.state, "connected")

    def test_request_burst_blocks(self):
        link = self.connect(per_day=0)
        self.attach(link)
        with patch.object(type(link), "SECURITY_MAX_REQUESTS", 6):
            for _attempt in range(5):
                if link.state == "blocked":
                    break
                link.action_fetch_transactions()
        self.assertEqual(link.state, "blocked")
        self.assertIn("requests to the bank", link.error_description)

    def test_window_resets_counters(self):
        link = self.connect(per_day=0)
        link._security_record(failures=link.SECURITY_MAX_FAILURES)
        self.assertEqual(link.state, "connected")
        link.sudo().security_window_start = fields.Datetime.now() - timedelta(hours=2)
        link._security_record(failures=1)
        self.assertEqual(link.security_failure_count, 1)
        self.assertEqual(link.state, "connected")


@tagged("post_install", "-at_install")
class TestCron(OnlineSyncCase):
    def test_cron_syncs_auto_links_only_and_respects_bank_rules(self):
        auto = self.connect(per_day=0)
        self.attach(auto)
        manual = self.connect(per_day=0)
        manual.auto_sync = False
        self.attach(manual, self.env["account.journal"].create(
            {"name": "Manual", "type": "bank", "code": "MANU"}))
        mfa = self.connect(MFA_BANK, per_day=0)
        self.assertFalse(mfa.auto_sync)  # proposed off for MFA banks
        mfa.auto_sync = True
        self.attach(mfa, self.env["account.journal"].create(
            {"name": "MFA", "type": "bank", "code": "MFAB"}))
        no_auto = self.connect(BANCO_MANUAL, per_day=0)
        self.assertFalse(no_auto.institution_auto_fetch)
        no_auto.auto_sync = True
        self.attach(no_auto, self.env["account.journal"].create(
            {"name": "Manual bank", "type": "bank", "code": "BMAN", "currency_id": self.eur.id}))
        self.sandbox.state.reset()
        self.env["account.online.link"]._cron_sync_connections()
        synced = {r["path"].split("/")[4] for r in self.requests_to("/transactions/")}
        self.assertEqual(synced, {auto.account_online_account_ids[0].online_identifier})
        self.assertIn("does not allow automatic synchronization", no_auto.message_ids[0].body)
        messages = len(no_auto.message_ids)
        self.env["account.online.link"]._cron_sync_connections()
        self.assertEqual(len(no_auto.message_ids), messages)  # said once
        # MFA banks answer a manual refresh.
        mfa.action_fetch_transactions()
        self.assertEqual(mfa.state, "connected")
        # So does the bank refusing unattended fetching: Fetch Transactions books its lines.
        journal = no_auto.account_online_account_ids.journal_ids
        lines = self.env["account.bank.statement.line"]
        self.assertFalse(lines.search_count([("journal_id", "=", journal.id)]))
        self.sandbox.set_volume(no_auto.account_online_account_ids.online_identifier, per_day=2)
        no_auto.action_fetch_transactions()
        self.assertEqual(no_auto.state, "connected")
        self.assertTrue(lines.search_count([("journal_id", "=", journal.id)]))

    def test_mfa_bank_next_day_asks_for_update_credentials(self):
        mfa = self.connect(MFA_BANK, per_day=2)
        journal = self.env["account.journal"].create({
            "name": "MFA", "type": "bank", "code": "MFAB",
            "currency_id": self.env.ref("base.GBP").id,
        })
        self.env.ref("base.GBP").active = True
        if journal.currency_id == self.company.currency_id:
            journal.currency_id = False
        self.attach(mfa, journal)
        self.add_line(journal, self.days_ago(2))
        later = self.today + timedelta(days=1)
        self.sandbox.set_today(later)
        with self.freeze(fields.Datetime.to_datetime(later) + timedelta(hours=9)):
            mfa.action_fetch_transactions()
            self.assertEqual(mfa.state, "error")
            self.assertIn("Update Credentials", mfa.error_description)
            self.assertIn(mfa.error_reference, mfa.message_ids[0].body)
            # The user authenticates again at the bank: the same journal synchronizes.
            action = mfa.with_user(self.manager).action_update_credentials()
            query = self.authorise(action["url"])
            self.assertEqual(
                self.env["account.online.link"]._find_by_consent_reference(query["ref"]), mfa)
            self.assertTrue(mfa._complete_consent())
            mfa.action_fetch_transactions()
            self.assertEqual(mfa.state, "connected")
        self.assertEqual(journal.account_online_account_id.account_online_link_id, mfa)
        self.assertTrue(self.lines(journal).filtered("online_transaction_identifier"))

    def test_cron_is_scheduled_every_12_hours(self):
        cron = self.env.ref("account_online_synchronization.ir_cron_sync_connections")
        self.assertEqual((cron.interval_number, cron.interval_type), (12, "hours"))
        self.assertTrue(cron.active)
        self.assertIn("_cron_sync_connections", cron.code)

    def test_consent_expiry_warned_7_and_1_days_ahead(self):
        link = self.connect(per_day=0)
        link.auto_sync = False
        now = fields.Datetime.now()
        link.sudo().consent_expiry = now + timedelta(days=10)
        Link = self.env["account.online.link"]
        Link._cron_warn_consent_expiry()
        self.assertFalse(link.activity_ids)
        with self.freeze(now + timedelta(days=3, hours=1)):
            Link._cron_warn_consent_expiry()
            self.assertEqual(len(link.activity_ids), 1)
            self.assertIn("Update Credentials", link.message_ids[0].body)
            Link._cron_warn_consent_expiry()
            self.assertEqual(len(link.activity_ids), 1)
        with self.freeze(now + timedelta(days=9, hours=1)):
            Link._cron_warn_consent_expiry()
            self.assertEqual(len(link.activity_ids), 2)
            self.assertEqual(link.consent_warning_level, 2)
            Link._cron_warn_consent_expiry()
            self.assertEqual(len(link.activity_ids), 2)
        self.assertEqual(link.activity_ids[0].date_deadline, link.consent_expiry.date())

    def freeze(self, when):
        from odoo.tests.common import freeze_time
        return freeze_time(when)
