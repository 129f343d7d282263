"""Fast creation of bank statement lines: the rows Odoo's own ``create`` would write.

``account.bank.statement.line.create`` costs tens of milliseconds a line: every line's
journal entry is written several times, named through ``sequence.mixin`` (two lookups
scanning the journal-year per call, more for the sequence-gap bookkeeping) and posted.
A statement line's journal entry is always the same small thing: one entry, two items
(bank account and suspense account), posted. This writer builds those rows in Python
and inserts them with one ``INSERT`` per table and chunk:

- **Constants** (state, flags, defaults, whatever other modules add without computing
  it) come from a *template*: one line created through Odoo's own ``create`` inside a
  savepoint that is rolled back, read back from the database.
- **Per-line columns** (ids, amounts, dates, names, partner, labels...) are computed
  the way ``account`` computes them (``_prepare_move_line_default_vals``,
  ``_compute_amount``, ``_compute_is_reconciled``, ``_compute_internal_index``...).
  ``tests/test_builder_fast_path.py`` compares every stored column with lines created
  through the ORM.
- **Journal entry names** follow ``sequence.mixin`` exactly: one
  ``_get_next_sequence_format`` per journal and month of the batch gives the last number
  of each sequence, the lines then take the next numbers in creation order (what
  creating them one by one would give).
- **Concurrency**: fast imports into one journal run one at a time (a transaction-level
  advisory lock on the journal). Entries posted meanwhile by others are handled the way
  ``sequence.mixin._locked_increment`` handles them: the first entry of each sequence is
  inserted alone, in a savepoint; if its number is taken by an entry committed after this
  transaction's snapshot (invisible to it in REPEATABLE READ), the first free number is
  searched through the unique index itself (doubling steps, then bisection), and the
  batch is renumbered from there. Holding that first number makes every later writer of
  the sequence wait for this transaction, so the following numbers are safe, gapless.
- Stored computed fields that other modules add to these models are left to the ORM:
  they are marked to recompute after the insert.
- **Statements**: the stored fields of ``account.bank.statement`` that follow its lines
  (``STATEMENT_FIELDS``: journal, company, currency, first line index, date, computed
  ending balance, completeness) are computed by :meth:`StatementLineWriter.finish` with
  one grouped query, as ``account`` computes them, and written with SQL. Odoo's computes
  load every line of the statement: a synchronization extending a statement of thousands
  of lines batch after batch would use memory and time growing with the statement.
"""

import re
from collections import defaultdict
from xmlrpc.client import MAXINT

from psycopg2 import errors as pgerrors
from psycopg2.extras import Json

from odoo.exceptions import ConcurrencyError, UserError
from odoo.tools import SQL, float_repr, frozendict

# Columns of the base install (account + this addon) that the writer computes per line.
LINE_COLUMNS = {
    "id", "move_id", "journal_id", "company_id", "statement_id", "sequence", "partner_id",
    "currency_id", "account_number", "partner_name", "transaction_type", "payment_ref",
    "internal_index", "transaction_details", "amount", "amount_currency",
    "foreign_currency_id", "is_reconciled", "amount_residual", "unique_import_id",
}
MOVE_COLUMNS = {
    "id", "journal_id", "company_id", "statement_line_id", "partner_id",
    "commercial_partner_id", "invoice_partner_display_name", "currency_id",
    "sequence_prefix", "sequence_number", "name", "ref", "narration", "date",
    "amount_total", "amount_total_signed", "amount_total_in_currency_signed",
}
ITEM_COLUMNS = {
    "id", "move_id", "journal_id", "company_id", "company_currency_id", "account_id",
    "currency_id", "partner_id", "statement_line_id", "statement_id", "move_name", "ref",
    "name", "date", "debit", "credit", "balance", "amount_currency", "amount_residual",
    "amount_residual_currency", "price_subtotal", "price_total", "reconciled",
}
# Columns of the base install taken from the template as they are.
BASE_CONSTANT_COLUMNS = {
    "account_bank_statement_line": {
        "create_uid", "write_uid", "create_date", "write_date", "online_account_id",
        "online_transaction_identifier",
    },
    "account_move": {
        "access_token", "always_tax_exigible", "amount_residual", "amount_residual_signed",
        "amount_tax", "amount_tax_signed", "amount_untaxed",
        "amount_untaxed_in_currency_signed", "amount_untaxed_signed", "auto_post",
        "auto_post_origin_id", "auto_post_until", "checked", "create_date", "create_uid",
        "delivery_date", "fiscal_position_id", "inalterable_hash", "incoterm_location",
        "invoice_cash_rounding_id", "invoice_currency_rate", "invoice_date",
        "invoice_date_due", "invoice_incoterm_id", "invoice_origin",
        "invoice_payment_term_id", "invoice_source_email", "invoice_user_id",
        "is_manually_modified", "is_move_sent", "made_sequence_gap",
        "message_main_attachment_id", "move_type", "origin_payment_id", "partner_bank_id",
        "partner_shipping_id", "payment_reference", "payment_state", "posted_before",
        "preferred_payment_method_line_id", "qr_code_method", "quick_edit_total_amount",
        "reversed_entry_id", "secure_sequence_number", "sending_data", "state",
        "tax_cash_basis_origin_move_id", "tax_cash_basis_rec_id", "taxable_supply_date",
        "write_date", "write_uid",
    },
    "account_move_line": {
        "analytic_distribution", "collapse_composition", "collapse_prices", "create_date",
        "create_uid", "date_maturity", "deductible_amount", "discount",
        "discount_amount_currency", "discount_balance", "discount_date", "display_type",
        "extra_tax_data", "full_reconcile_id", "group_tax_id", "invoice_date",
        "is_imported", "is_storno", "matching_number", "no_followup", "parent_state",
        "payment_id", "price_unit", "product_id", "product_uom_id", "quantity",
        "reconcile_model_id", "sequence", "tax_base_amount", "tax_group_id",
        "tax_line_id", "tax_repartition_line_id", "write_date", "write_uid",
    },
}
# pg_advisory_xact_lock(LOCK_CLASS, journal id): one fast import per journal at a time.
LOCK_CLASS = 0x42534931  # "BSI1"
NAME_INDEX = "account_move_unique_name"
IMPORT_ID_CONSTRAINT = "account_bank_statement_line_unique_import_id_per_journal"
STATEMENT_FIELDS = ("journal_id", "company_id", "currency_id", "first_line_index", "date",
                    "balance_end", "is_complete")


class StatementLineWriter:
    """Insert statement lines of one journal; keeps its templates and numbering."""

    def __init__(self, env, journal):
        self.env = env
        self.journal = journal
        self.company = journal.company_id
        self.currency = journal.currency_id or self.company.currency_id
        self.templates = {}
        self.sequences = {}  # sequence key -> last number used
        self.formats = {}  # (year, month) -> (format string, values, key)
        self.key_formats = {}  # sequence key -> (format string, values)
        self.secured = set()  # sequence keys whose next numbers this transaction holds
        self.locked = False
        self.rates = {}  # date -> journal currency to company currency rate
        self.has_analytic_models = None
        self.distributions = {}  # (account id, partner id) -> analytic distribution
        self._split_regex = None
        self.statement_ids = set()
        self.other_computed = None
        self.models = {
            table: env[model] for table, model in (
                ("account_bank_statement_line", "account.bank.statement.line"),
                ("account_move", "account.move"),
                ("account_move_line", "account.move.line"),
            )
        }

    # -- templates -------------------------------------------------------------------

    def _template(self, foreign_currency_id):
        """Rows of one line created by Odoo inside a rolled-back savepoint."""
        key = bool(foreign_currency_id)
        if key in self.templates:
            return self.templates[key]
        vals = {"journal_id": self.journal.id, "date": "2000-01-01", "amount": 1.0,
                "payment_ref": "template"}
        if foreign_currency_id:
            vals.update(foreign_currency_id=foreign_currency_id, amount_currency=2.0)
        rows = {}
        self.env.flush_all()
        with self.env.cr.savepoint() as savepoint:
            line = self.env["account.bank.statement.line"].with_context(
                tracking_disable=True, mail_create_nolog=True, mail_notrack=True,
            ).create(vals)
            self.env.flush_all()
            for table, column, ids in (
                ("account_bank_statement_line", "id", line.ids),
                ("account_move", "id", line.move_id.ids),
                ("account_move_line", "move_id", line.move_id.ids),
            ):
                self.env.cr.execute(SQL(
                    "SELECT * FROM %s WHERE %s = ANY(%s) ORDER BY id",
                    SQL.identifier(table), SQL.identifier(column), ids,
                ))
                names = [desc[0] for desc in self.env.cr.description]
                rows[table] = [dict(zip(names, row, strict=True))
                               for row in self.env.cr.fetchall()]
            savepoint.close(rollback=True)
        self.env.invalidate_all()
        liquidity, suspense = self._split_items(rows["account_move_line"])
        template = {
            "line": rows["account_bank_statement_line"][0],
            "move": rows["account_move"][0],
            "liquidity": liquidity,
            "suspense": suspense,
        }
        self.templates[key] = template
        return template

    def _split_items(self, items):
        liquidity = [row for row in items
                     if row["account_id"] == self.journal.default_account_id.id]
        suspense = [row for row in items
                    if row["account_id"] == self.journal.suspense_account_id.id]
        if len(liquidity) != 1 or len(suspense) != 1 or len(items) != 2:
            raise UserError(self.env._(
                "The journal entries of %(journal)s are not built as expected "
                "(one bank item, one suspense item); the fast import cannot be used.",
                journal=self.journal.display_name))
        return liquidity[0], suspense[0]

    # -- naming ----------------------------------------------------------------------

    def _next_name(self, date):
        """``(name, sequence key, number)`` of the next entry dated ``date``.

        See the module docstring; the number may still move up in :meth:`_secure`.
        """
        period = (date.year, date.month)
        if period not in self.formats:
            move = self.env["account.move"].new({
                "journal_id": self.journal.id, "date": date, "move_type": "entry",
            })
            format_string, values = move._get_next_sequence_format()
            last = values.pop("seq")
            key = format_string.format(**values, seq=0)
            self.formats[period] = (format_string, values, key)
            self.key_formats[key] = (format_string, values)
            self.sequences[key] = max(self.sequences.get(key, last), last)
        format_string, values, key = self.formats[period]
        self.sequences[key] += 1
        number = self.sequences[key]
        return format_string.format(**values, seq=number), key, number

    # -- analytics -------------------------------------------------------------------

    def _analytic_values(self, account_id, partner_id, base):
        """``analytic_distribution`` of an item, as ``_compute_analytic_distribution``.

        Odoo applies the analytic distribution models to every item of a journal entry
        that is not an invoice; what they need is the item's account, partner and
        company (``_get_analytic_distribution_arguments``). One lookup per account and
        partner; nothing to do when the company has no model.
        """
        if self.has_analytic_models is None:
            self.has_analytic_models = bool(
                self.env["account.analytic.distribution.model"].sudo().search_count(
                    [("company_id", "in", [False, self.company.id])], limit=1))
        if not self.has_analytic_models:
            return {}
        key = (account_id, partner_id)
        if key not in self.distributions:
            item = self.models["account_move_line"].new({
                "account_id": account_id, "partner_id": partner_id,
                "company_id": self.company.id, "journal_id": self.journal.id,
            })
            related = item._related_analytic_distribution()
            root_plans = self.env["account.analytic.account"].browse(
                list({int(account) for ids in related for account in ids.split(",")
                      if account.strip()})
            ).exists().root_plan_id
            arguments = frozendict(item._get_analytic_distribution_arguments(root_plans))
            distribution = related | self.env[
                "account.analytic.distribution.model"]._get_distribution(arguments)
            self.distributions[key] = distribution or base["analytic_distribution"]
        return {"analytic_distribution": self.distributions[key]}

    # -- amounts ---------------------------------------------------------------------

    def _company_amount(self, amount, foreign_id, transaction_amount, date):
        """The line's amount in the company's currency.

        As ``account.bank.statement.line._prepare_move_line_default_vals``: the journal
        amount in a company-currency journal, the transaction amount when the transaction
        is in the company's currency, else the journal amount converted at the date's
        rate (``res.currency._convert``: amount times rate, rounded; one rate lookup per
        date here).
        """
        company_currency = self.company.currency_id
        if self.currency == company_currency:
            return amount
        if foreign_id == company_currency.id:
            return transaction_amount
        if not amount:
            return 0.0
        if date not in self.rates:
            self.rates[date] = self.currency._get_conversion_rate(
                self.currency, company_currency, self.company, date)
        return company_currency.round(amount * self.rates[date])

    def _split_sequence(self, name):
        """``(sequence_prefix, sequence_number)`` as ``_compute_split_sequence`` sets them."""
        if self._split_regex is None:
            Move = self.models["account_move"]
            self._split_regex = re.compile(Move._make_regex_non_capturing(
                Move._sequence_fixed_regex.replace(r"?P<seq>", "")))
        matching = self._split_regex.match(name)
        return name[:matching.start(1)], int(matching.group(1) or 0)

    # -- rows ------------------------------------------------------------------------

    def insert(self, vals_list):
        """Insert ``vals_list`` (statement line values); return the lines."""
        env = self.env
        self._take_statements({vals["statement_id"] for vals in vals_list
                               if vals.get("statement_id")})
        env.flush_all()
        Line = self.models["account_bank_statement_line"]
        Move = self.models["account_move"]
        cr = env.cr
        count = len(vals_list)
        cr.execute(
            "SELECT nextval('account_bank_statement_line_id_seq'), "
            "nextval('account_move_id_seq'), nextval('account_move_line_id_seq'), "
            "nextval('account_move_line_id_seq') FROM generate_series(1, %s)", (count,))
        ids = cr.fetchall()
        partners = env["res.partner"].browse(
            {vals["partner_id"] for vals in vals_list if vals.get("partner_id")})
        partner_info = {
            partner.id: (partner.commercial_partner_id.id, partner.display_name)
            for partner in partners
        }
        liquidity_account = self.journal.default_account_id
        suspense_account = self.journal.suspense_account_id
        rows = defaultdict(list)
        for vals, (line_id, move_id, liquidity_id, suspense_id) in zip(
                vals_list, ids, strict=True):
            foreign_id = vals.get("foreign_currency_id") or False
            if foreign_id == self.currency.id:
                foreign_id = False
            template = self._template(foreign_id)
            date = vals["date"]
            amount = self.currency.round(vals.get("amount") or 0.0)
            foreign_amount = self.env["res.currency"].browse(foreign_id).round(
                vals.get("amount_currency") or 0.0) if foreign_id else 0.0
            partner_id = vals.get("partner_id") or None
            commercial_id, partner_name = partner_info.get(partner_id, (None, None))
            name, sequence_key, seq = self._next_name(date)
            prefix, number = self._split_sequence(name)
            label = vals.get("payment_ref") or None
            ref = vals.get("ref") or None
            statement_id = vals.get("statement_id") or None
            move_currency = foreign_id or self.currency.id
            transaction_amount = foreign_amount if foreign_id else amount
            company_amount = self._company_amount(amount, foreign_id, transaction_amount,
                                                  date)
            liquidity = {
                "account_id": liquidity_account.id, "currency_id": self.currency.id,
                "amount_currency": amount, "balance": company_amount,
            }
            suspense = {
                "account_id": suspense_account.id, "currency_id": move_currency,
                "amount_currency": -transaction_amount, "balance": -company_amount,
            }
            debit_item = liquidity if company_amount > 0 else suspense
            for item, item_id, base in ((liquidity, liquidity_id, template["liquidity"]),
                                        (suspense, suspense_id, template["suspense"])):
                balance = item["balance"]
                tracked = bool(base["amount_residual_currency"])
                rows["account_move_line"].append({
                    **base, **item, "id": item_id, "move_id": move_id,
                    "journal_id": self.journal.id, "company_id": self.company.id,
                    "company_currency_id": self.company.currency_id.id,
                    "partner_id": partner_id, "statement_line_id": line_id,
                    "statement_id": statement_id, "move_name": name, "ref": ref,
                    "name": label, "date": date,
                    "debit": balance if balance > 0 else 0.0,
                    "credit": -balance if balance < 0 else 0.0,
                    "amount_residual": balance if tracked else 0.0,
                    "amount_residual_currency": item["amount_currency"] if tracked else 0.0,
                    "reconciled": tracked and not balance and not item["amount_currency"],
                    "price_subtotal": item["amount_currency"],
                    "price_total": item["amount_currency"],
                    **self._analytic_values(item["account_id"], partner_id, base),
                })
            total_currency = debit_item["amount_currency"] if company_amount else 0.0
            total = debit_item["balance"] if company_amount else 0.0
            move = {
                **template["move"], "id": move_id, "journal_id": self.journal.id,
                "company_id": self.company.id, "statement_line_id": line_id,
                "partner_id": partner_id, "commercial_partner_id": commercial_id,
                "invoice_partner_display_name":
                    partner_name or template["move"]["invoice_partner_display_name"],
                "currency_id": move_currency, "sequence_prefix": prefix,
                "sequence_number": number, "name": name,
                "ref": ref, "date": date,
                "amount_total": total_currency,
                "amount_total_signed": abs(total),
                "amount_total_in_currency_signed": abs(total_currency),
                "_key": sequence_key, "_seq": seq,
            }
            line = {
                **template["line"], "id": line_id, "move_id": move_id,
                "journal_id": self.journal.id, "company_id": self.company.id,
                "statement_id": statement_id, "sequence": vals.get("sequence", 1),
                "partner_id": partner_id, "currency_id": self.currency.id,
                "amount": amount, "amount_currency": foreign_amount,
                "foreign_currency_id": foreign_id or None,
                "amount_residual": suspense["amount_currency"],
                "is_reconciled": suspense["amount_currency"] == 0,
            }
            line["internal_index"] = (
                f"{date.strftime('%Y%m%d')}{MAXINT - line['sequence']:0>10}{line_id:0>10}")
            for fname, value in vals.items():
                if fname in ("journal_id", "date", "amount", "payment_ref", "partner_id",
                             "statement_id", "foreign_currency_id", "amount_currency",
                             "ref"):
                    continue
                target, model = (line, Line) if fname in Line._fields and \
                    not Line._fields[fname].inherited else (move, Move)
                field = model._fields[fname]
                if not field.store or not field.column_type:
                    raise UserError(env._(
                        "The fast import cannot write the field %(field)s.", field=fname))
                target[fname] = field.convert_to_column_insert(value, model.browse())
            line["payment_ref"] = label
            rows["account_move"].append(move)
            rows["account_bank_statement_line"].append(line)
        # Moves first (lines and items point at them), their statement_line_id after.
        for row in rows["account_move"]:
            row["_statement_line_id"] = row.pop("statement_line_id")
        self._lock()
        inserted = self._secure(rows["account_move"])
        names = {row["id"]: row["name"] for row in rows["account_move"]}
        for item in rows["account_move_line"]:
            item["move_name"] = names[item["move_id"]]
        try:
            self._insert("account_move",
                         [row for row in rows["account_move"] if row["id"] not in inserted])
            self._insert("account_bank_statement_line", rows["account_bank_statement_line"],
                         log_exceptions=False)
        except pgerrors.UniqueViolation as error:
            if error.diag.constraint_name != IMPORT_ID_CONSTRAINT:
                raise
            # Another session imported some of these transactions after this one
            # started (invisible to its snapshot): a retry sees them and skips them.
            raise ConcurrencyError(env._(
                "Some of these transactions were imported into %(journal)s by another "
                "session meanwhile. Import the file again: they will be skipped.",
                journal=self.journal.display_name)) from error
        self._insert("account_move_line", rows["account_move_line"])
        pairs = [(row["id"], row["_statement_line_id"]) for row in rows["account_move"]]
        for page in _pages(pairs):
            cr.execute(SQL(
                "UPDATE account_move m SET statement_line_id = v.line_id "
                "FROM (VALUES %s) AS v(move_id, line_id) WHERE m.id = v.move_id",
                SQL(", ").join(page),
            ))
        # Odoo's in-transaction sequence cache would hand out numbers we just used.
        Move._get_sequence_cache().clear()
        env.invalidate_all()
        lines = Line.browse([row["id"] for row in rows["account_bank_statement_line"]])
        self._recompute_others({
            "account_bank_statement_line": lines,
            "account_move": Move.browse([row["id"] for row in rows["account_move"]]),
            "account_move_line": self.models["account_move_line"].browse(
                [row["id"] for row in rows["account_move_line"]]),
        })
        # posting creates the analytic items of lines with a distribution
        analytic_ids = [row["id"] for row in rows["account_move_line"]
                        if row.get("analytic_distribution")]
        if analytic_ids:
            self.models["account_move_line"].browse(analytic_ids)._create_analytic_lines()
        return lines

    # -- concurrency -------------------------------------------------------------------

    def _lock(self):
        """Wait for the other fast imports into this journal (until their commit)."""
        if not self.locked:
            self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                                (LOCK_CLASS, self.journal.id))
            self.locked = True

    def _secure(self, moves):
        """Insert the first move of each sequence not held yet; renumber if needed.

        :param moves: the move rows of a batch, in creation order (modified in place)
        :return: ids of the moves inserted here
        """
        inserted = set()
        for row in moves:
            key = row["_key"]
            if key in self.secured:
                continue
            first = row["_seq"]
            number = self._claim(row)
            if number != first:
                # entries committed elsewhere since this transaction's snapshot
                offset = number - first
                self.sequences[key] += offset
                format_string, values = self.key_formats[key]
                for other in moves:
                    if other["_key"] == key and other is not row:
                        other["_seq"] += offset
                        other["name"] = format_string.format(**values, seq=other["_seq"])
                        other["sequence_number"] = other["_seq"]
            self.secured.add(key)
            inserted.add(row["id"])
        return inserted

    def _claim(self, row):
        """Insert ``row`` with the first free number of its sequence from ``row["_seq"]``.

        Free means accepted by the unique index on (name, journal), which sees every
        committed entry, also those this transaction's snapshot does not. Numbers taken
        meanwhile are contiguous (every writer takes the first free one), so after a
        failure the search doubles its step, then bisects. Return the number kept.
        """
        candidate = row["_seq"]
        while True:
            if self._try_number(row, candidate, keep=True):
                return candidate
            taken, step = candidate, 1
            while not self._try_number(row, taken + step, keep=False):
                taken, step = taken + step, step * 2
            free = taken + step
            while free - taken > 1:
                middle = (taken + free) // 2
                if self._try_number(row, middle, keep=False):
                    free = middle
                else:
                    taken = middle
            candidate = free  # someone may take it before we do: then search again

    def _try_number(self, row, number, keep):
        """Insert ``row`` numbered ``number``; keep it or roll it back; return success."""
        format_string, values = self.key_formats[row["_key"]]
        row["_seq"] = row["sequence_number"] = number
        row["name"] = format_string.format(**values, seq=number)
        with self.env.cr.savepoint(flush=False) as savepoint:
            try:
                self._insert("account_move", [row], log_exceptions=False)
            except pgerrors.UniqueViolation as error:
                if error.diag.constraint_name != NAME_INDEX:
                    raise
                savepoint.rollback()
                return False
            if not keep:
                savepoint.rollback()
        return True

    def _take_statements(self, statement_ids):
        """Leave the statement fields of ``statement_ids`` to :meth:`finish`.

        Creating a statement or changing its ending balance marks these fields to
        recompute; the ORM would compute them at the next flush, loading every line of
        the statement. :meth:`finish` computes them once the lines are in.
        """
        self.statement_ids.update(statement_ids)
        statements = self.env["account.bank.statement"].browse(sorted(self.statement_ids))
        for fname in STATEMENT_FIELDS:
            self.env.remove_to_compute(statements._fields[fname], statements)

    def finish(self):
        """Bring the statements' computed fields up to date (once, after all chunks).

        One grouped query computes, per statement, what ``account.bank.statement``'s
        computes give (``_compute_journal_id``, ``company_id``, ``_compute_currency_id``,
        ``_compute_first_line_index``, ``_compute_date``, ``_compute_balance_end``,
        ``_compute_is_complete``) without loading the lines; the values are written with
        SQL and the ORM's cache of these fields and of the fields depending on them is
        invalidated. ``is_valid`` (not stored) is computed by Odoo from the stored values
        when read. A statement whose lines belong to several journals is left to Odoo.
        """
        env = self.env
        Statement = env["account.bank.statement"]
        self._take_statements(())
        statements = Statement.browse(sorted(self.statement_ids))
        self.statement_ids = set()
        if not statements:
            env.flush_all()
            return
        env.flush_all()
        env.cr.execute(SQL(
            """SELECT st.id, st.balance_start, st.balance_end_real,
                      MIN(line.journal_id), COUNT(DISTINCT line.journal_id),
                      MIN(line.internal_index COLLATE "C"),
                      COUNT(line.id) FILTER (WHERE move.state = 'posted'),
                      SUM(line.amount) FILTER (WHERE move.state = 'posted'),
                      (ARRAY_AGG(move.date ORDER BY line.internal_index COLLATE "C" DESC)
                          FILTER (WHERE move.state = 'posted'
                                  AND line.internal_index IS NOT NULL))[1]
                 FROM account_bank_statement st
                 JOIN account_bank_statement_line line ON line.statement_id = st.id
                 JOIN account_move move ON move.id = line.move_id
                WHERE st.id = ANY(%s)
                GROUP BY st.id
                ORDER BY st.id""",
            statements.ids,
        ))
        rows = env.cr.fetchall()
        values = []
        computed = Statement.browse([row[0] for row in rows if row[4] == 1])
        left = statements - computed
        for (statement_id, balance_start, balance_end_real, journal_id, journals,
             first_index, posted, total, date) in rows:
            if journals != 1:
                continue
            journal = env["account.journal"].browse(journal_id)
            company = journal.company_id
            currency = journal.currency_id or company.currency_id
            # as _compute_balance_end: float sum, rounded by the Monetary field
            balance_end = currency.round(float(balance_start or 0.0) + float(total or 0.0))
            is_complete = bool(posted) and not currency.compare_amounts(
                balance_end, currency.round(float(balance_end_real or 0.0)))
            values.append(SQL(
                "(%s, %s, %s, %s, %s, %s::date, %s::numeric, %s)",
                statement_id, journal.id, company.id, currency.id, first_index, date,
                float_repr(balance_end, currency.decimal_places), is_complete,
            ))
        for page in _pages(values):
            env.cr.execute(SQL(
                """UPDATE account_bank_statement st
                      SET journal_id = v.journal_id, company_id = v.company_id,
                          currency_id = v.currency_id, first_line_index = v.first_line_index,
                          date = v.date, balance_end = v.balance_end,
                          is_complete = v.is_complete, write_uid = %s, write_date = %s
                     FROM (VALUES %s) AS v(id, journal_id, company_id, currency_id,
                                           first_line_index, date, balance_end, is_complete)
                    WHERE st.id = v.id""",
                env.uid, env.cr.now(), SQL(", ").join(page),
            ))
        self._written_statement_fields(computed)
        # statements without lines or with lines of several journals: Odoo's computes
        for fname in STATEMENT_FIELDS:
            env.add_to_compute(Statement._fields[fname], left)
        env.flush_all()

    def _written_statement_fields(self, statements):
        """Tell the ORM that ``STATEMENT_FIELDS`` of ``statements`` changed in the database.

        Their cache and the cache of the non-stored fields depending on them (``is_valid``,
        the lines' ``statement_complete``...) are invalidated. If another module stores a
        field computed from them, ``modified`` marks it to recompute as after any write
        (the fields written here are then not recomputed again).
        """
        if not statements:
            return
        env = self.env
        registry = env.registry
        fields = [statements._fields[fname] for fname in STATEMENT_FIELDS]
        dependents = {dependent for field in fields
                      for dependent in registry.get_dependent_fields(field)}
        others_stored = [dependent for dependent in dependents
                         if dependent.store and dependent not in fields]
        statements.invalidate_recordset([*STATEMENT_FIELDS, "write_uid", "write_date"])
        if others_stored:
            statements.modified(STATEMENT_FIELDS)
            for field in fields:
                env.remove_to_compute(field, statements)
            return
        by_model = defaultdict(list)
        for dependent in dependents:
            by_model[dependent.model_name].append(dependent.name)
        for model_name, fnames in by_model.items():
            if model_name == statements._name:
                statements.invalidate_recordset(fnames)
            else:
                env[model_name].invalidate_model(fnames)

    def _insert(self, table, rows, log_exceptions=True):
        if not rows:
            return
        columns = [c for c in rows[0] if not c.startswith("_")]
        values = [
            tuple(Json(row[c]) if isinstance(row[c], dict | list) else row[c]
                  for c in columns)
            for row in rows
        ]
        for page in _pages(values):
            self.env.cr.execute(SQL(
                "INSERT INTO %s (%s) VALUES %s",
                SQL.identifier(table),
                SQL(", ").join(map(SQL.identifier, columns)),
                SQL(", ").join(page),
            ), log_exceptions=log_exceptions)

    def _recompute_others(self, records):
        """Mark the stored computed fields other modules added to these models."""
        if self.other_computed is None:
            known = {
                "account_bank_statement_line": LINE_COLUMNS,
                "account_move": MOVE_COLUMNS,
                "account_move_line": ITEM_COLUMNS,
            }
            self.other_computed = [
                (table, field)
                for table, model in self.models.items()
                for field in model._fields.values()
                if field.store and field.compute and field.column_type
                and field.name not in known[table]
                and field.name not in BASE_CONSTANT_COLUMNS[table]
            ]
        for table, field in self.other_computed:
            self.env.add_to_compute(field, records[table])


def _pages(rows, size=1000):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
