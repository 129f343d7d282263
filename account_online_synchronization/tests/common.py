from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import Form, HttpCase, TransactionCase, new_test_user

from odoo.addons.account_online_synchronization.sandbox import (
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    start_sandbox,
)

PARAM = "account_online_synchronization."
SANDBOX_FINANCE = "SANDBOXFINANCE_SFIN0000"
NORDBANK = "SBX_NORDBANK_NBBEBEBB"
BANCA_BREVE = "SBX_BANCABREVE_BBITITMM"
BANCO_MANUAL = "SBX_BANCOMANUAL_BMESESMM"
MFA_BANK = "SBX_MFABANK_MFABGB2L"
COUNTRY_OF = {
    SANDBOX_FINANCE: "base.be", NORDBANK: "base.be", BANCA_BREVE: "base.it",
    BANCO_MANUAL: "base.es", MFA_BANK: "base.uk",
}
PHONE = "+32470123456"


class OnlineSyncMixin:
    """A real sandbox bank (HTTP on 127.0.0.1, random port) and a configured company.

    The sandbox's daily quota is off (tests synchronize one account many times a day);
    the quota itself is tested on its own.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = start_sandbox(account_daily_limit=None)
        cls.addClassCleanup(cls.sandbox.stop)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param(PARAM + "gocardless_secret_id", DEMO_SECRET_ID)
        params.set_param(PARAM + "gocardless_secret_key", DEMO_SECRET_KEY)
        params.set_param(PARAM + "gocardless_url", cls.sandbox.url)
        cls.company = cls.env.company
        cls.manager = new_test_user(
            cls.env, login="aos_manager",
            groups="account.group_account_manager,account.group_account_user",
        )
        # The sandbox's accounts are in euros (the test company's currency may not be).
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.journal = cls.new_journal("Online Bank", "ONLB")

    @classmethod
    def new_journal(cls, name, code, **values):
        return cls.env["account.journal"].create({
            "name": name, "type": "bank", "code": code, "currency_id": cls.eur.id, **values,
        })

    def setUp(self):
        super().setUp()
        self.sandbox.state.reset()  # faults, log, quotas (consents stay)
        self.sandbox.set_today(date.today())

    # -- helpers ------------------------------------------------------------------------

    @property
    def today(self):
        return date.today()

    def authorise(self, url, action="authorise"):
        """Play the user on the sandbox consent page; return the callback's query."""
        page = requests.get(url, timeout=10)
        self.assertEqual(page.status_code, 200, page.text)
        answer = requests.post(url, data={"action": action}, allow_redirects=False, timeout=10)
        self.assertEqual(answer.status_code, 302)
        location = urlsplit(answer.headers["Location"])
        self.assertEqual(location.path, "/account_online_synchronization/callback")
        return {key: values[-1] for key, values in parse_qs(location.query).items()}

    def start(self, institution=SANDBOX_FINANCE, phone=PHONE, user=None):
        """Run the Add a Bank Account wizard up to the bank's page; return its URL."""
        wizard_form = Form(self.env["account.online.link.wizard"].with_user(user or self.manager))
        wizard_form.country_id = self.env.ref(COUNTRY_OF[institution])
        if phone is not None:
            wizard_form.phone_number = phone
        wizard = wizard_form.save()
        wizard.action_search()
        result = wizard.result_ids.filtered(lambda r: r.institution_identifier == institution)
        self.assertEqual(len(result), 1)
        action = result.action_connect()
        self.assertEqual(action["type"], "ir.actions.act_url")
        return action["url"]

    def connect(self, institution=SANDBOX_FINANCE, per_day=None, user=None):
        """Connect ``institution`` through the consent flow; return the connection."""
        query = self.authorise(self.start(institution, user=user))
        link = self.env["account.online.link"]._find_by_consent_reference(query["ref"])
        self.assertTrue(link)
        self.assertTrue(link.with_user(user or self.manager)._complete_consent())
        if per_day is not None:
            for account in link.account_online_account_ids:
                self.sandbox.set_volume(account.online_identifier, per_day=per_day)
        return link

    def attach(self, link, journal=None, account_index=0):
        """Link one account of ``link`` to ``journal`` (the others are not synchronized),
        without the first synchronization the wizard runs."""
        journal = journal or self.journal
        account = link.account_online_account_ids.sorted("id")[account_index]
        journal.write({
            "account_online_account_id": account.id,
            "bank_statements_source": "online_sync",
        })
        return account

    def add_line(self, journal, day, amount=10.0, ref="manual"):
        return self.env["account.bank.statement.line"].create({
            "journal_id": journal.id, "date": day, "amount": amount, "payment_ref": ref,
        })

    def requests_to(self, fragment):
        return [r for r in self.sandbox.requests_log if fragment in r["path"]]

    def lines(self, journal=None):
        return self.env["account.bank.statement.line"].search(
            [("journal_id", "=", (journal or self.journal).id)]
        )

    @staticmethod
    def days_ago(days):
        return date.today() - timedelta(days=days)


class OnlineSyncCase(OnlineSyncMixin, TransactionCase):
    """Transaction case with the sandbox bank."""


class OnlineSyncHttpCase(OnlineSyncMixin, HttpCase):
    """HTTP case (routes, tours) with the sandbox bank."""
