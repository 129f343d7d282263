import datetime
from decimal import Decimal
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.statement_line_writer import STATEMENT_FIELDS, StatementLineWriter
from .common import ImportCase, statement, tx

BUILDER = "odoo.addons.account_bank_statement_import.models.account_bank_statement_line_builder"

# Columns that differ between two journals by nature, or between two creations in time.
IGNORED = {
    "id", "move_id", "journal_id", "statement_id", "statement_line_id", "create_date",
    "write_date", "internal_index", "unique_import_id", "name", "move_name",
    "sequence_prefix", "transaction_details",
    "account_id",  # each journal has its own bank account (roles checked below)
}


@tagged("post_install", "-at_install")
class TestFastPath(ImportCase):
    """The fast path writes what Odoo's own ``create`` writes, names included."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].sudo().create({"name": "Fast Partner BV"})
        cls.foreign = cls.env.ref("base.USD") \
            if cls.company.currency_id.name != "USD" else cls.env.ref("base.EUR")
        cls.foreign.sudo().active = True

    def _transactions(self):
        rows = []
        start = datetime.date(2024, 12, 30)
        for i in range(14):
            extra = {}
            if i % 3 == 0:
                extra["partner_name"] = "Fast Partner BV"
            amount = Decimal(i * 7 - 40) / 4
            if i % 5 == 1:
                extra.update(foreign_currency=self.foreign.name,
                             foreign_amount=amount * Decimal("1.1") + (1 if amount > 0 else -1))
            rows.append(tx((start + datetime.timedelta(days=i * 3)).isoformat(),
                           str(amount), f"Line {i}", ref=f"R{i % 4}",
                           narration="note" if i % 2 else "", **extra))
        rows.append(tx("2025-02-01", "0", "zero"))
        return rows

    def _rows(self, table, ids):
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT * FROM {table} WHERE id = ANY(%s) ORDER BY id", (list(ids),))  # noqa: S608
        names = [desc[0] for desc in self.env.cr.description]
        return [{k: v for k, v in zip(names, row, strict=True) if k not in IGNORED}
                for row in self.env.cr.fetchall()]

    def _compare_with_the_orm(self, fast_journal, transactions):
        """Import ``transactions`` into ``fast_journal`` with the fast path and into its
        twin with Odoo's ``create``; compare every stored column; return the fast
        result and the twin's lines."""
        orm_journal = fast_journal.copy({"name": f"{fast_journal.name} ORM twin",
                                         "code": f"{fast_journal.code[:3]}2"})
        # Both journals already hold an entry, numbered by Odoo.
        for journal in (fast_journal, orm_journal):
            self.env["account.bank.statement.line"].create({
                "journal_id": journal.id, "date": "2025-01-15", "amount": 1,
                "payment_ref": "existing"})
        result = self.import_statements([statement(transactions)], journal=fast_journal,
                                        source="t")
        fast = result["lines"]
        self.assertTrue(self.builder._fast_path_allowed(fast_journal))
        orm = self.env["account.bank.statement.line"]
        orm_builder = self.builder.with_context(bank_statement_import_no_fast_path=True)
        for transaction in sorted(transactions, key=lambda t: t.date):
            orm |= orm_builder._import_statements(
                orm_journal, [statement([transaction])], group_by="none",
                source="t")["lines"]
        self.maxDiff = None
        self.assertEqual(len(fast), len(orm))
        # names: same numbers in the same order, per year
        strip = [name.split("/", 1)[1] for name in fast.mapped("move_id.name")]
        self.assertEqual(strip, [name.split("/", 1)[1] for name in orm.mapped("move_id.name")])
        for table, fast_ids, orm_ids in (
            ("account_move", fast.move_id.ids, orm.move_id.ids),
            ("account_move_line", fast.move_id.line_ids.ids, orm.move_id.line_ids.ids),
        ):
            fast_rows, orm_rows = self._rows(table, fast_ids), self._rows(table, orm_ids)
            for fast_row, orm_row in zip(fast_rows, orm_rows, strict=True):
                self.assertEqual(fast_row, orm_row, table)
        # statement lines: the ORM twin has no statement, compare the rest
        fast_lines = self._rows("account_bank_statement_line", fast.ids)
        orm_lines = self._rows("account_bank_statement_line", orm.ids)
        for fast_row, orm_row in zip(fast_lines, orm_lines, strict=True):
            self.assertEqual(fast_row, orm_row)
        return result, orm

    def _assert_statements_as_odoo(self, statements):
        """The statement rows written by the fast path are those Odoo's computes give.

        Nothing is left to recompute and the cache holds no stale value: what is read
        first (``is_valid`` included) is compared with the rows and ``is_valid`` after
        Odoo's own computes ran on the same statements.
        """
        env = self.env
        fields = [statements._fields[fname] for fname in STATEMENT_FIELDS]
        for field in fields:
            self.assertFalse(env.records_to_compute(field) & statements, field.name)
        fnames = [*STATEMENT_FIELDS, "balance_start", "balance_end_real", "is_valid"]
        cached = [stmt.read(fnames)[0] for stmt in statements]  # cache, then database
        stored = self._statement_rows(statements)
        for field in fields:
            env.add_to_compute(field, statements)
        env.flush_all()
        env.invalidate_all()
        self.assertEqual(self._statement_rows(statements), stored)
        self.assertEqual([stmt.read(fnames)[0] for stmt in statements], cached)
        for stmt in statements:  # both ways Odoo computes is_valid
            self.assertEqual(stmt.is_valid, stmt._get_statement_validity())
        return cached

    def _statement_rows(self, statements):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT * FROM account_bank_statement WHERE id = ANY(%s) ORDER BY id",
            (statements.ids,))
        names = [desc[0] for desc in self.env.cr.description]
        return [{k: v for k, v in zip(names, row, strict=True)
                 if k not in ("write_date", "write_uid")}
                for row in self.env.cr.fetchall()]

    def test_same_rows_and_names_as_the_orm(self):
        fast_journal = self.journal
        transactions = self._transactions()
        result, _orm = self._compare_with_the_orm(fast_journal, transactions)
        fast = result["lines"]
        self.assertEqual(fast[0].move_id.name, "IMPB/2024/00001")
        self.assertIn("IMPB/2025/00002", fast.mapped("move_id.name"))
        # every entry is balanced, on the bank and suspense accounts, posted
        for line in fast:
            liquidity, suspense, other = line._seek_for_lines()
            self.assertEqual((len(liquidity), len(suspense), len(other)), (1, 1, 0))
            self.assertAlmostEqual(sum(line.move_id.line_ids.mapped("balance")), 0)
            self.assertEqual(line.move_id.state, "posted")
        st = result["statements"]
        self.assertEqual(st.journal_id, fast_journal)
        self.assertEqual(st.line_ids, fast)
        self.assertTrue(st.is_complete)
        values = self._assert_statements_as_odoo(st)[0]
        self.assertEqual(values["date"], datetime.date(2025, 2, 7))
        self.assertEqual(values["balance_end"],
                         values["balance_start"] + sum(fast.mapped("amount")))
        # Odoo numbers the next entry right after the imported ones
        after = self.env["account.bank.statement.line"].create({
            "journal_id": fast_journal.id, "date": "2025-03-01", "amount": 2,
            "payment_ref": "after"})
        last = max(fast.filtered(lambda line: line.date.year == 2025).mapped(
            "move_id.sequence_number"))
        self.assertEqual(after.move_id.sequence_number, last + 1)

    def test_foreign_currency_journal_same_rows_as_the_orm(self):
        """A journal in another currency than the company's: company amounts converted
        at each date's rate, transactions in the company's or a third currency."""
        root = self.env(su=True)
        company_currency = self.company.currency_id
        journal_currency, third = [
            currency for currency in (root.ref("base.EUR"), root.ref("base.USD"),
                                      root.ref("base.GBP"))
            if currency != company_currency][:2]
        (journal_currency | third).active = True
        root["res.currency.rate"].create([
            {"currency_id": journal_currency.id, "company_id": self.company.id,
             "name": day, "rate": rate}
            for day, rate in (("2024-12-01", 0.912345), ("2025-01-10", 0.87654321),
                              ("2025-01-25", 1.3333))
        ])
        root["res.currency.rate"].create({
            "currency_id": third.id, "company_id": self.company.id, "name": "2024-12-01",
            "rate": 0.777})
        journal = self.env["account.journal"].create({
            "name": "Foreign Bank", "code": "FRB", "type": "bank",
            "currency_id": journal_currency.id,
        })
        transactions = []
        start = datetime.date(2024, 12, 30)
        for i in range(15):
            amount = Decimal(i * 13 - 90) / 7
            amount = amount.quantize(Decimal("0.01"))
            extra = {}
            if i % 3 == 1:  # paid in the company's currency
                extra.update(foreign_currency=company_currency.name,
                             foreign_amount=(amount * Decimal("1.07")).quantize(
                                 Decimal("0.01")))
            elif i % 3 == 2:  # paid in a third currency
                extra.update(foreign_currency=third.name,
                             foreign_amount=(amount * Decimal("0.93")).quantize(
                                 Decimal("0.01")))
            transactions.append(tx((start + datetime.timedelta(days=i * 2)).isoformat(),
                                   str(amount), f"FX {i}", ref=f"X{i}", **extra))
        transactions.append(tx("2025-01-20", "0", "zero"))
        transactions.append(tx("2025-01-21", "0.01", "one cent"))
        result, _orm = self._compare_with_the_orm(journal, transactions)
        lines = result["lines"]
        # the rates were really used: company amounts differ from journal amounts
        converted = lines.filtered(lambda line: not line.foreign_currency_id and line.amount)
        self.assertTrue(converted)
        for line in converted:
            liquidity = line._seek_for_lines()[0]
            expected = journal_currency._convert(
                line.amount, company_currency, self.company, line.date)
            self.assertEqual(liquidity.balance, expected)
            if abs(line.amount) >= 1:
                self.assertNotEqual(liquidity.balance, line.amount)
        in_company = lines.filtered(lambda line: line.foreign_currency_id == company_currency)
        for line in in_company:
            self.assertEqual(line._seek_for_lines()[0].balance, line.amount_currency)
        # the statement is in the journal's currency, its balances in journal amounts
        st = result["statements"]
        values = self._assert_statements_as_odoo(st)[0]
        self.assertEqual(values["currency_id"][0], journal_currency.id)
        self.assertTrue(values["is_complete"])
        self.assertEqual(st.balance_end, journal_currency.round(
            st.balance_start + sum(lines.mapped("amount"))))
        self.assertNotEqual(st.currency_id, company_currency)

    def test_statement_fields_over_several_batches_like_odoo(self):
        """A monthly statement extended by chunks and by later imports: its fields are
        computed without loading its lines, with the values Odoo's computes give."""
        days = [("2025-03-03", "-5.25"), ("2025-03-05", "-2.25"), ("2025-03-05", "1.25"),
                ("2025-03-20", "4.25"), ("2025-03-28", "7.25")]
        first = [tx(day, amount, f"m{i}", unique_import_id=f"m{i}")
                 for i, (day, amount) in enumerate(days)]
        with patch(f"{BUILDER}.CHUNK_SIZE", 2):  # three chunks, one statement
            result = self.import_statements([statement(first)], group_by="month")
        st = result["statements"]
        self.assertEqual(len(st), 1)
        values = self._assert_statements_as_odoo(st)[0]
        self.assertEqual(values["date"], datetime.date(2025, 3, 28))
        self.assertTrue(values["is_complete"])
        self.assertEqual(values["first_line_index"], min(st.line_ids.mapped("internal_index")))
        lines_before = st.line_ids
        # read now: the cache must not keep these values once the statement grows
        self.assertEqual(st.balance_end, 5.25)
        self.assertTrue(st.is_valid)
        # a second import extends it (one line earlier than all others, one in April)
        later = [tx("2025-03-01", "100", "early", unique_import_id="e1"),
                 tx("2025-03-29", "-0.5", "late", unique_import_id="e2"),
                 tx("2025-04-02", "7", "april", unique_import_id="e3")]
        self.env.invalidate_all()
        with patch(f"{BUILDER}.CHUNK_SIZE", 1):
            result = self.import_statements([statement(later)], group_by="month")
        # finishing did not load the lines already in the statement
        amount_cache = self.env["account.bank.statement.line"]._fields["amount"]._get_cache(
            self.env)
        self.assertFalse(set(lines_before.ids) & set(amount_cache))
        self.assertEqual(len(result["statements"]), 2)
        self.assertEqual(st.balance_end, 104.75)
        self.assertEqual(st.first_line_index, min(st.line_ids.mapped("internal_index")))
        self.assertEqual(st.first_line_index[:8], "20250301")
        self.assertEqual(st.date, datetime.date(2025, 3, 29))
        april = result["statements"] - st
        values = self._assert_statements_as_odoo(st | april)
        self.assertTrue(all(value["is_complete"] for value in values))
        self.assertTrue(all(value["is_valid"] for value in values))
        self.assertEqual(values[1]["balance_start"], 104.75)
        self.assertEqual(values[1]["balance_end"], 111.75)

    def test_statement_becomes_complete_and_valid_like_odoo(self):
        """Lines written into a statement whose ending balance is set beforehand (by a
        user), with a cancelled line in it: complete only once the lines add up; the
        next statement's validity follows the previous one's ending balance."""
        Statement = self.env["account.bank.statement"]
        journal = self.journal
        previous = Statement.create({
            "name": "previous", "balance_start": 0, "balance_end_real": 10,
            "line_ids": [(0, 0, {"journal_id": journal.id, "date": "2025-05-01",
                                 "amount": 10, "payment_ref": "p"})],
        })
        cancelled = self.env["account.bank.statement.line"].create({
            "journal_id": journal.id, "date": "2025-05-02", "amount": 1000,
            "payment_ref": "cancelled"})
        cancelled.move_id.button_cancel()
        self.assertEqual(cancelled.state, "cancel")
        stmt = Statement.create({"name": "target", "balance_start": 10,
                                 "balance_end_real": 160})
        cancelled.statement_id = stmt
        following = Statement.create({
            "name": "following", "balance_start": 160, "balance_end_real": 161,
            "line_ids": [(0, 0, {"journal_id": journal.id, "date": "2025-06-01",
                                 "amount": 1, "payment_ref": "f"})],
        })
        expected = [(False, 10.0, False), (False, 110.0, datetime.date(2025, 5, 3)),
                    (True, 160.0, datetime.date(2025, 5, 4)),
                    (False, 159.99, datetime.date(2025, 5, 4))]
        batches = [[], [("2025-05-03", 100)], [("2025-05-04", 50)], [("2025-05-04", -0.01)]]
        for batch, (complete, balance_end, date) in zip(batches, expected, strict=True):
            if batch:
                writer = StatementLineWriter(self.env, journal)
                writer.insert([{"journal_id": journal.id, "date": datetime.date.fromisoformat(
                    day), "amount": amount, "payment_ref": day, "statement_id": stmt.id}
                    for day, amount in batch])
                writer.finish()
            self.assertEqual((stmt.is_complete, stmt.balance_end, stmt.date),
                             (complete, balance_end, date))
            # the first line's index counts the cancelled line, the date does not
            self.assertEqual(stmt.first_line_index, cancelled.internal_index)
            # the next statement is valid while it opens where this one ends
            self.assertTrue(following.is_valid)
            self._assert_statements_as_odoo(previous | stmt | following)
        # an ending balance changed by a user, then more lines: invalid next statement
        stmt.balance_end_real = 170
        writer = StatementLineWriter(self.env, journal)
        writer.insert([{"journal_id": journal.id, "date": datetime.date(2025, 5, 5),
                        "amount": 10.01, "payment_ref": "x", "statement_id": stmt.id}])
        writer.finish()
        self.assertTrue(stmt.is_complete)
        self.assertFalse(following.is_valid)
        self.assertIn(following.id, following._get_invalid_statement_ids())
        self._assert_statements_as_odoo(previous | stmt | following)

    def test_analytic_models_same_rows_as_the_orm(self):
        """Analytic distribution models apply to the imported entries as to Odoo's:
        same distributions on the items, same analytic items."""
        root = self.env(su=True)
        plans = root["account.analytic.plan"].create([{"name": "Bank A"}, {"name": "Bank B"}])
        by_partner, by_account = root["account.analytic.account"].create([
            {"name": "Partner costs", "plan_id": plans[0].id},
            {"name": "Suspense costs", "plan_id": plans[1].id},
        ])
        suspense = self.journal.suspense_account_id
        root["account.analytic.distribution.model"].create([
            {"partner_id": self.partner.id, "company_id": self.company.id,
             "analytic_distribution": {str(by_partner.id): 100}},
            {"account_prefix": suspense.code[:4],
             "analytic_distribution": {str(by_account.id): 40}},
        ])
        result, orm = self._compare_with_the_orm(self.journal, self._transactions())
        items, orm_items = result["lines"].move_id.line_ids, orm.move_id.line_ids

        def analytics(move_lines):
            return sorted(
                (line.move_line_id.move_id.statement_line_id.payment_ref,
                 line.move_line_id.account_id == suspense, line.amount,
                 line._get_distribution_key())
                for line in move_lines.analytic_line_ids)

        fast_analytics = analytics(items)
        self.assertEqual(fast_analytics, analytics(orm_items))
        partner_lines = result["lines"].filtered("partner_id")
        self.assertTrue(partner_lines)
        # both models on the partner's suspense items, the account model on the others
        for line in partner_lines:
            self.assertEqual(
                line._seek_for_lines()[1].analytic_distribution,
                {str(by_partner.id): 100, str(by_account.id): 40})
        self.assertEqual(
            (result["lines"] - partner_lines)[:1]._seek_for_lines()[1].analytic_distribution,
            {str(by_account.id): 40})
        self.assertGreater(len(fast_analytics), len(result["lines"]))

    def test_hash_protected_journal_refused_clearly(self):
        """Odoo 19 cannot hash unreconciled bank transactions: say so up front."""
        journal = self.env["account.journal"].create({
            "name": "Hashed Bank", "code": "HSHB", "type": "bank",
            "restrict_mode_hash_table": True,
        })
        self.assertFalse(self.builder._fast_path_allowed(journal))
        with self.assertRaisesRegex(UserError, "Hashed Bank.*Secure Posted Entries"):
            self.import_statements([statement([tx("2025-04-01", "5", "h1")])],
                                   journal=journal)
        # what Odoo itself does with such a line
        with self.assertRaisesRegex(UserError, "All entries have to be reconciled"), \
                self.env.cr.savepoint():
            self.env["account.bank.statement.line"].create({
                "journal_id": journal.id, "date": "2025-04-01", "amount": 5,
                "payment_ref": "h1"})
        self.assertFalse(self.env["account.bank.statement.line"].search(
            [("journal_id", "=", journal.id)]))

    def test_fast_lines_behave_like_odoo_lines(self):
        result = self.import_statements([statement([tx("2025-04-01", "12.34", "x")])])
        line = result["lines"]
        self.assertEqual(line.running_balance, 12.34)
        self.assertFalse(line.is_reconciled)
        self.assertEqual(line.amount_residual, -12.34)
        # a user can still edit and delete it through the ORM
        line.payment_ref = "edited"
        self.assertEqual(line.move_id.line_ids.mapped("name"), ["edited", "edited"])
        line.amount = 20
        self.assertEqual(sorted(line.move_id.line_ids.mapped("balance")), [-20, 20])
        statement_record = line.statement_id
        statement_record.unlink()
        line.unlink()
        self.assertFalse(line.exists())
