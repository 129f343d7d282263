import datetime
from decimal import Decimal

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ImportCase, statement, tx

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
