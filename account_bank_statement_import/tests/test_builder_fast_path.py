import datetime
from decimal import Decimal

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

    def test_same_rows_and_names_as_the_orm(self):
        fast_journal = self.journal
        orm_journal = self.journal.copy({"name": "ORM twin", "code": "IMPB2"})
        # Both journals already hold an entry, numbered by Odoo.
        for journal in (fast_journal, orm_journal):
            self.env["account.bank.statement.line"].create({
                "journal_id": journal.id, "date": "2025-01-15", "amount": 1,
                "payment_ref": "existing"})
        transactions = self._transactions()
        result = self.import_statements([statement(transactions)], source="t")
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
        self.assertEqual(fast[0].move_id.name, "IMPB/2024/00001")
        self.assertIn("IMPB/2025/00002", fast.mapped("move_id.name"))
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
