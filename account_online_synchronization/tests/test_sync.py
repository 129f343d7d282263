from collections import defaultdict
from datetime import datetime, time, timedelta
from unittest.mock import patch

from lxml import etree

from odoo.fields import Domain
from odoo.tests import tagged
from odoo.tests.common import freeze_time
from odoo.tools.safe_eval import safe_eval

from .common import NORDBANK, OnlineSyncCase

BUILDER = "account.bank.statement.line.builder"


@tagged("post_install", "-at_install")
class TestSync(OnlineSyncCase):
    """Booked transactions become statement lines through the shared builder."""

    def expected_booked(self, link, account, date_from, date_to):
        """What the bank books in the range, asked directly (bypassing Odoo)."""
        client = link._get_provider_client()
        return {
            txn.id: txn
            for page in client.fetch_transactions(account.online_identifier, date_from, date_to)
            for txn in page.transactions if not txn.pending
        }

    def synced(self, journal=None):
        return self.lines(journal).filtered("online_transaction_identifier")

    def test_booked_transactions_become_lines_once(self):
        link = self.connect(per_day=3)
        account = self.attach(link)
        self.add_line(self.journal, self.days_ago(6))
        link.action_fetch_transactions()
        expected = self.expected_booked(link, account, self.days_ago(5), self.today)
        lines = self.synced()
        self.assertTrue(expected)
        self.assertEqual(set(lines.mapped("online_transaction_identifier")), set(expected))
        for line in lines:
            txn = expected[line.online_transaction_identifier]
            self.assertEqual(line.unique_import_id, f"online:gocardless:{txn.id}")
            self.assertEqual(line.online_account_id, account)
            self.assertEqual(line.date, txn.booking_date)
            self.assertEqual(line.currency_id.compare_amounts(line.amount, float(txn.amount)), 0)
            self.assertGreater(line.date, self.days_ago(6))
        self.assertFalse([i for i in lines.mapped("online_transaction_identifier")
                          if i.endswith("-P")])
        # Re-running over the same days adds nothing.
        account.sudo().last_sync = self.days_ago(6)
        link.action_fetch_transactions()
        link.action_fetch_transactions()
        self.assertEqual(self.synced(), lines)
        self.assertEqual(link.state, "connected")

    def test_pending_then_booked_without_duplicates(self):
        link = self.connect(per_day=5)
        account = self.attach(link)
        self.add_line(self.journal, self.days_ago(3))
        link.action_fetch_transactions()
        first_pending = set(link.pending_transaction_ids.mapped("online_transaction_identifier"))
        self.assertTrue(first_pending)
        self.assertFalse(set(self.synced().mapped("online_transaction_identifier"))
                         & first_pending)
        # Two days later the bank books them, with new ids.
        later = self.today + timedelta(days=2)
        self.sandbox.set_today(later)
        with freeze_time(datetime.combine(later, time(9))):
            link.action_fetch_transactions()
            self.assertEqual(account.last_sync, later - timedelta(days=1))
        ids = self.synced().mapped("online_transaction_identifier")
        self.assertEqual(len(ids), len(set(ids)))
        self.assertFalse([i for i in ids if i.endswith("-P")])
        # Every transaction pending before is now booked, exactly once.
        self.assertLessEqual({p[:-2] for p in first_pending}, set(ids))
        self.assertTrue(all(p.date >= later - timedelta(days=1)
                            for p in link.pending_transaction_ids))

    def assert_statement_chain(self, statements):
        """Statements follow each other: each opens where the previous closed and its
        lines make up its closing balance."""
        previous = None
        for statement in statements.sorted("first_line_index"):
            currency = statement.currency_id
            self.assertTrue(statement.is_complete, statement.name)
            if previous:
                self.assertEqual(currency.compare_amounts(
                    statement.balance_start, previous.balance_end_real), 0)
            previous = statement

    def test_statements_grouped_per_period(self):
        # Batches of about 7 lines: periods span several batches and stay one statement.
        for period, key in (("week", lambda d: d.isocalendar()[:2]),
                            ("day", lambda d: d),
                            ("bimonthly", lambda d: (d.year, d.month, d.day > 15)),
                            ("month", lambda d: (d.year, d.month)),
                            ("none", lambda d: "one statement per synchronization")):
            with self.subTest(period=period):
                journal = self.new_journal(f"Grouped {period}", f"G{period[:3].upper()}",
                                           online_sync_period=period)
                link = self.connect(per_day=1)
                self.attach(link, journal)
                self.add_line(journal, self.days_ago(40))
                with patch.object(type(link), "SYNC_BATCH_SIZE", 7):
                    link.action_fetch_transactions()
                lines = self.synced(journal)
                self.assertGreater(len(lines), 30)
                by_statement = defaultdict(set)
                for line in lines:
                    by_statement[line.statement_id].add(key(line.date))
                self.assertTrue(all(len(keys) == 1 for keys in by_statement.values()))
                self.assertEqual(len(by_statement), len({key(d) for d in lines.mapped("date")}))
                self.assert_statement_chain(lines.statement_id)

    def test_grouping_none_is_one_statement_per_synchronization(self):
        """As Odoo Enterprise's "Create one statement per synchronization": every line
        of a run, however many batches it takes, in one statement named after its last
        day; the next run opens its own statement where this one closed."""
        journal = self.new_journal("One per sync", "GONE", online_sync_period="none")
        link = self.connect(per_day=3)
        self.attach(link, journal)
        self.add_line(journal, self.days_ago(21), amount=100.0)
        Link = type(link)
        builder_calls = []
        Builder = type(self.env[BUILDER])
        original = Builder._import_statements

        def counting(builder, *args, **kwargs):
            builder_calls.append(1)
            return original(builder, *args, **kwargs)

        with patch.object(Link, "SYNC_BATCH_SIZE", 7), \
                patch.object(Builder, "_import_statements", counting):
            link.action_fetch_transactions()
        first = self.synced(journal)
        self.assertGreater(len(builder_calls), 3)  # several batches
        statement = first.statement_id
        self.assertEqual(len(statement), 1)
        self.assertEqual(statement.line_ids, first)
        currency = statement.currency_id
        self.assertEqual(currency.compare_amounts(statement.balance_start, 100.0), 0)
        total = sum(first.mapped("amount"))
        self.assertEqual(currency.compare_amounts(statement.balance_end_real, 100.0 + total), 0)
        self.assertTrue(statement.is_complete)
        self.assertEqual(statement.name, f"GONE Statement {max(first.mapped('date'))}")
        # The next synchronization makes its own statement.
        later = self.today + timedelta(days=3)
        self.sandbox.set_today(later)
        with freeze_time(datetime.combine(later, time(9))), \
                patch.object(Link, "SYNC_BATCH_SIZE", 2):
            link.action_fetch_transactions()
        second = self.synced(journal) - first
        self.assertGreater(len(second), 2)
        self.assertEqual(len(second.statement_id), 1)
        self.assertNotEqual(second.statement_id, statement)
        self.assertEqual(statement.line_ids, first)
        self.assert_statement_chain(statement | second.statement_id)

    def test_extending_a_statement_of_another_journal_is_refused(self):
        other = self.new_journal("Other", "OTHR")
        statement = self.env["account.bank.statement"].create(
            {"name": "S", "journal_id": other.id})
        link = self.connect(per_day=1)
        self.attach(link)
        self.journal.online_sync_period = "none"
        account = link.account_online_account_ids.sorted("id")[0]
        txns = list(self.expected_booked(link, account, self.days_ago(2),
                                         self.today).values())
        with self.assertRaisesRegex(ValueError, "another journal"):
            account._book(self.journal, txns, "gocardless", statement)

    def test_transactions_out_of_date_order_are_refused(self):
        class Txn:
            def __init__(self, day):
                self.date = day

        Account = self.env["account.online.account"]
        days = [self.days_ago(3), self.days_ago(3), self.days_ago(1), self.days_ago(1)]
        self.assertEqual([[t.date for t in b] for b in Account._split_by_day(
            [Txn(d) for d in days], 1)], [days[:2], days[2:]])
        with self.assertRaisesRegex(ValueError, "out of date order"):
            list(Account._split_by_day([Txn(self.days_ago(1)), Txn(self.days_ago(2))], 5))

    def test_malformed_answer_in_the_middle_books_nothing(self):
        link = self.connect(per_day=12)
        account = self.attach(link)
        self.add_line(self.journal, self.days_ago(8))
        self.sandbox.inject_fault("malformed", path="/transactions/", after_bytes=30_000)
        link.action_fetch_transactions()
        self.assertEqual(link.state, "error")
        self.assertIn("Malformed JSON", link.error_description)
        reference = link.error_reference
        self.assertIn(reference, {r["request_id"] for r in self.requests_to("/transactions/")})
        self.assertIn(reference, link.message_ids[0].body)
        self.assertFalse(self.synced())
        self.assertFalse(account.last_sync)
        self.assertFalse(link.pending_transaction_ids)
        # The bank answers properly next time: everything is booked.
        link.action_fetch_transactions()
        self.assertEqual(link.state, "connected")
        expected = self.expected_booked(link, account, self.days_ago(7), self.today)
        # The break was in the middle of the booked transactions, not after them.
        self.assertGreater(len(expected), 60)
        self.assertEqual(set(self.synced().mapped("online_transaction_identifier")),
                         set(expected))

    def test_connection_cut_in_the_middle_is_retried(self):
        link = self.connect(per_day=12)
        account = self.attach(link)
        self.add_line(self.journal, self.days_ago(8))
        self.sandbox.inject_fault("cut", path="/transactions/", after_bytes=20_000)
        with patch("odoo.addons.account_online_synchronization.models.account_online_link."
                   "_CountingTransport.backoff", return_value=0):
            link.action_fetch_transactions()
        self.assertEqual(link.state, "connected")
        self.assertEqual([r["fault"] for r in self.requests_to("/transactions/")],
                         ["cut", None])
        expected = self.expected_booked(link, account, self.days_ago(7), self.today)
        self.assertGreater(len(expected), 60)
        self.assertEqual(set(self.synced().mapped("online_transaction_identifier")),
                         set(expected))

    def test_bank_without_ids_flags_possible_duplicates(self):
        link = self.connect(NORDBANK, per_day=12)
        account = self.attach(link)
        self.add_line(self.journal, self.days_ago(15))
        link.action_fetch_transactions()
        expected = self.expected_booked(link, account, self.days_ago(14), self.today)
        flagged = {i for i, txn in expected.items() if txn.possible_duplicate}
        self.assertTrue(flagged, "the sandbox bank sends identical transactions here")
        lines = self.synced()
        self.assertEqual(set(lines.mapped("online_transaction_identifier")), set(expected))
        self.assertEqual(
            set(lines.filtered("online_possible_duplicate").mapped(
                "online_transaction_identifier")),
            flagged,
        )
        # Bank Matching's "Flagged as Duplicate" filter shows them
        view = self.env.ref(
            "account_bank_statement_import.account_bank_statement_line_view_search")
        domain = etree.fromstring(view.arch).xpath(
            "//filter[@name='provider_duplicate']")[0].get("domain")
        shown = self.env["account.bank.statement.line"].search(
            Domain(safe_eval(domain)) & Domain("journal_id", "=", self.journal.id))
        self.assertEqual(set(shown.mapped("online_transaction_identifier")), flagged)

    def test_interrupted_sync_resumes_without_loss_or_duplicate(self):
        link = self.connect(per_day=2)
        account = self.attach(link)
        self.add_line(self.journal, self.days_ago(10))
        expected = self.expected_booked(link, account, self.days_ago(9), self.today)
        Builder = type(self.env[BUILDER])
        original = Builder._import_statements
        calls = []

        def crash_on_second_batch(builder, *args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return original(builder, *args, **kwargs)

        Link = type(link)
        with patch.object(Link, "SYNC_BATCH_SIZE", 4), \
                patch.object(Link, "_commit_batch", lambda self, processed=0: None), \
                patch.object(Builder, "_import_statements", crash_on_second_batch), \
                self.assertRaisesRegex(RuntimeError, "worker killed"):
            link._sync(commit=True)
        first_batch = self.synced()
        self.assertTrue(first_batch)
        self.assertEqual(account.last_sync, max(first_batch.mapped("date")))
        self.assertLess(len(first_batch), len(expected))
        # The retry resumes after the committed batch.
        with patch.object(Link, "_commit_batch", lambda self, processed=0: None):
            link._sync(commit=True)
        lines = self.synced()
        self.assertEqual(sorted(lines.mapped("online_transaction_identifier")),
                         sorted(expected))

    def test_cron_books_lines(self):
        link = self.connect(per_day=2)
        self.attach(link)
        self.add_line(self.journal, self.days_ago(4))
        self.env["account.online.link"]._cron_sync_connections()
        self.assertTrue(self.synced())
        self.assertEqual(link.state, "connected")

    def test_pending_transactions_listed_not_booked(self):
        link = self.connect(per_day=6)
        self.attach(link)
        self.add_line(self.journal, self.days_ago(1))
        link.action_fetch_transactions()
        pending = link.pending_transaction_ids
        self.assertTrue(pending)
        self.assertEqual(link.pending_transaction_count, len(pending))
        pending_ids = set(pending.mapped("online_transaction_identifier"))
        self.assertTrue(all(i.endswith("-P") for i in pending_ids))
        self.assertFalse(pending_ids & set(self.synced().mapped("online_transaction_identifier")))
        self.assertEqual(pending.journal_id, self.journal)
        action = link.action_open_pending_transactions()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), pending)
        # The next synchronization replaces the list.
        link.action_fetch_transactions()
        self.assertEqual(len(link.pending_transaction_ids), len(pending))
        self.assertFalse(pending.exists())
