"""Imports into one journal from concurrent transactions (real cursors, committed data)."""

import threading

from odoo import SUPERUSER_ID, api
from odoo.exceptions import ConcurrencyError
from odoo.tests import TransactionCase, tagged

from .common import statement, tx

YEAR = 2025


def transactions(prefix, count, month=3):
    return [
        tx(f"{YEAR}-{month:02d}-{1 + i % 28:02d}", f"{i + 1}.25", f"{prefix} {i}",
           unique_import_id=f"{prefix}-{i}")
        for i in range(count)
    ]


@tagged("post_install", "-at_install")
class TestImportConcurrency(TransactionCase):
    """Fast imports and entries posted meanwhile: every transaction commits, names are
    gapless and unique, numbered as Odoo numbers them."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            journal = env["account.journal"].create({
                "name": "Concurrent Bank", "code": "CONC", "type": "bank",
            })
            self.journal_id = journal.id
            self.account_id = journal.default_account_id.id
            builder = env["account.bank.statement.line.builder"]
            self.assertTrue(builder._fast_path_allowed(journal))
        self.addCleanup(self._clean_up)

    def _clean_up(self):
        with self.registry.cursor() as cr:
            params = {"journal": self.journal_id}
            cr.execute("DELETE FROM account_move_line WHERE journal_id = %(journal)s", params)
            cr.execute("UPDATE account_move SET statement_line_id = NULL "
                       "WHERE journal_id = %(journal)s", params)
            cr.execute("DELETE FROM account_bank_statement_line "
                       "WHERE journal_id = %(journal)s", params)
            cr.execute("DELETE FROM account_move WHERE journal_id = %(journal)s", params)
            cr.execute("DELETE FROM account_bank_statement "
                       "WHERE journal_id = %(journal)s", params)
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["account.journal"].browse(self.journal_id).unlink()
            env["account.account"].browse(self.account_id).unlink()

    def new_env(self):
        env = api.Environment(self.registry.cursor(), SUPERUSER_ID, {})
        self.addCleanup(env.cr.close)
        return env

    def fast_import(self, env, lines, **kwargs):
        journal = env["account.journal"].browse(self.journal_id)
        return env["account.bank.statement.line.builder"]._import_statements(
            journal, [statement(lines)], source="conc", **kwargs)

    def orm_line(self, env, label, day=1):
        return env["account.bank.statement.line"].create({
            "journal_id": self.journal_id, "date": f"{YEAR}-03-{day:02d}", "amount": 5,
            "payment_ref": label,
        })

    def assert_numbering(self, expected_count):
        """Every entry of the journal: one name each, numbers 1..n without gap."""
        with self.registry.cursor() as cr:
            cr.execute("""
                SELECT move.name, move.sequence_prefix, move.sequence_number,
                       array_agg(DISTINCT item.move_name)
                  FROM account_move move
                  JOIN account_move_line item ON item.move_id = move.id
                 WHERE move.journal_id = %s
                 GROUP BY move.id ORDER BY move.sequence_number""", (self.journal_id,))
            rows = cr.fetchall()
            cr.execute("SELECT count(*) FROM account_bank_statement_line "
                       "WHERE journal_id = %s", (self.journal_id,))
            line_count = cr.fetchone()[0]
        self.assertEqual(len(rows), expected_count)
        self.assertEqual(line_count, expected_count)
        self.assertEqual([row[2] for row in rows], list(range(1, expected_count + 1)))
        for name, prefix, number, item_names in rows:
            self.assertEqual(name, f"CONC/{YEAR}/{number:05d}")
            self.assertEqual(prefix, f"CONC/{YEAR}/")
            self.assertEqual(item_names, [name])

    def test_entries_committed_after_the_snapshot(self):
        """An import whose snapshot predates entries committed elsewhere (an Odoo entry
        and another fast import) numbers its entries after them."""
        late = self.new_env()
        late.cr.execute("SELECT 1")  # its snapshot starts here
        early = self.new_env()
        self.orm_line(early, "posted by Odoo")
        self.fast_import(early, transactions("early", 30))
        early.cr.commit()
        result = self.fast_import(late, transactions("late", 20))
        late.cr.commit()
        self.assertEqual(result["lines"].mapped("move_id.sequence_number"),
                         list(range(32, 52)))
        self.assert_numbering(51)
        # Odoo itself numbers the next entry right after
        after = self.new_env()
        self.assertEqual(self.orm_line(after, "after").move_id.sequence_number, 52)
        after.cr.commit()

    def test_parallel_imports_and_odoo_entries(self):
        """Two fast imports and Odoo entries at the same time, in threads."""
        barrier = threading.Barrier(3, timeout=60)
        errors = []
        registry = self.registry

        def run(work):
            try:
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    cr.execute("SELECT 1")
                    barrier.wait()
                    work(env)
            except Exception as error:  # noqa: BLE001 - reported by the main thread
                errors.append(error)

        def odoo_entries(env):
            for i in range(5):
                self.orm_line(env, f"odoo {i}", day=10 + i)
                env.flush_all()

        threads = [
            threading.Thread(target=run, args=(lambda env: self.fast_import(
                env, transactions("first", 150)),)),
            threading.Thread(target=run, args=(lambda env: self.fast_import(
                env, transactions("second", 120)),)),
            threading.Thread(target=run, args=(odoo_entries,)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertFalse(any(thread.is_alive() for thread in threads))
        self.assertEqual(errors, [])
        self.assert_numbering(275)

    def test_same_transactions_imported_meanwhile(self):
        """The same file imported by two sessions at once: the later one asks for a
        retry (Odoo retries the request), and the retry skips everything."""
        late = self.new_env()
        late.cr.execute("SELECT 1")
        early = self.new_env()
        self.fast_import(early, transactions("same", 10))
        early.cr.commit()
        with self.assertRaisesRegex(ConcurrencyError, "another session"):
            self.fast_import(late, transactions("same", 10))
        late.cr.rollback()
        again = self.fast_import(late, transactions("same", 10))
        self.assertEqual((len(again["lines"]), again["skipped"]), (0, 10))
        late.cr.commit()
        self.assert_numbering(10)
