"""The one path from parsed transactions to statement lines (file import and online sync)."""

import hashlib
import itertools
import re
import unicodedata
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from odoo import api, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date, plaintext2html

from .statement_line_writer import StatementLineWriter

GROUP_BY_PERIODS = ("none", "day", "week", "bimonthly", "month")
# Lines created per ORM call: large enough to amortise the per-call work, small enough
# to keep the ORM cache (moves + move lines) and each flush bounded.
CHUNK_SIZE = 500
# Lines listed in a lock-date error.
MAX_LISTED = 5
_SPACES = re.compile(r"\s+")
_ACCOUNT_JUNK = re.compile(r"[^0-9A-Za-z]")


def _batched(iterable, size):
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def normalize_account_number(number):
    """Return ``number`` without spaces/punctuation, upper case (``""`` for nothing)."""
    return _ACCOUNT_JUNK.sub("", number or "").upper()


def normalize_label(label):
    """Return ``label`` in a form stable across exports: NFC, case-folded, single spaces."""
    text = unicodedata.normalize("NFC", label or "")
    return _SPACES.sub(" ", text).strip().casefold()


def fingerprint(transaction, occurrence):
    """Return a stable id for a transaction that has no bank id.

    Built from what identifies the movement on the account: booking date, amount, label,
    counterparty account (or name when there is no account), and ``occurrence``, the
    number of identical (date, amount, label, counterparty) movements met before it in the
    same statement plus one. Re-importing the same export gives the same ids (so nothing
    is created twice) while two genuinely identical rows of one file stay two lines. The
    hash does not depend on the journal: the uniqueness constraint is per journal already.
    """
    return hashlib.sha256(
        "\x1f".join((*_fingerprint_key(transaction), str(occurrence))).encode()
    ).hexdigest()[:32]


def _fingerprint_key(transaction):
    counterparty = normalize_account_number(transaction.account_number) or normalize_label(
        transaction.partner_name
    )
    return (
        transaction.date.isoformat(),
        # Decimal("-12.50") and Decimal("-12.5") are the same movement
        format(Decimal(transaction.amount).normalize(), "f"),
        normalize_label(transaction.label),
        counterparty,
    )


class AccountBankStatementLineBuilder(models.AbstractModel):
    """Create bank statement lines (and statements) from parsed transactions.

    File import (``account.statement.import``) and online synchronization both end here,
    so duplicate detection, partner matching, balances, lock dates and the fast batch
    creation are written once. Everything happens in the caller's transaction: on any
    error nothing is kept.
    """

    _name = "account.bank.statement.line.builder"
    _description = "Bank Statement Line Builder"

    # ------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------

    @api.model
    def _import_statements(self, journal, statements, *, attachments=None, group_by=None,
                           source="import"):
        """Create the statement lines of ``statements`` in ``journal``.

        :param journal: ``account.journal`` record (bank, cash or credit)
        :param statements: ``list[ParsedStatement]`` (``parsers/result.py``)
        :param attachments: ``ir.attachment`` recordset linked to every statement created
        :param group_by: ``None``: one statement per ``ParsedStatement`` with the file's
            balances; ``"none"``: lines without statement; ``"day"``, ``"week"``,
            ``"bimonthly"``, ``"month"``: lines regrouped into one statement per period,
            the journal's latest statement being extended when it covers the period
        :param source: prefix of the lines' ``unique_import_id`` (format code such as
            ``"camt"`` or provider code), so that ids of different sources never collide
        :return: ``{"lines": account.bank.statement.line created, "statements":
            account.bank.statement created or extended, "skipped": number of transactions
            already imported (or repeated in ``statements``), "skipped_refs": their ids}``
        :raise UserError: lines dated in a locked period, unknown currency, statement in
            another currency than the journal's
        """
        journal.ensure_one()
        if group_by not in (None, *GROUP_BY_PERIODS):
            raise UserError(self.env._("Unknown statement grouping %(group_by)s.",
                                       group_by=group_by))
        Line = self.env["account.bank.statement.line"]
        Statement = self.env["account.bank.statement"]
        self._check_access(journal)
        self._check_journal(journal, statements)

        # 1. ids (bank ids prefixed by source, fingerprints otherwise) and duplicates
        batches, skipped_refs = self._deduplicate(journal, statements, source)
        todo = [(stmt, txs) for stmt, txs in batches if txs]
        all_txs = [tx for _stmt, txs in todo for tx in txs]
        if not all_txs:
            return {"lines": Line, "statements": Statement, "skipped": len(skipped_refs),
                    "skipped_refs": skipped_refs}
        self._check_lock_dates(journal, [tx for tx, _uid in all_txs])

        # 2. what every line needs, fetched once for the batch
        partners = self._match_partners(journal, [tx for tx, _uid in all_txs])
        currencies = self._get_currencies(journal, [tx for tx, _uid in all_txs])

        # 3. statements, then lines in chunks
        plan = self._plan_statements(journal, todo, group_by, attachments)
        statements_out = self._create_statements(journal, plan)

        def all_vals():
            # built chunk by chunk, so that memory stays flat on large files
            for statement_vals, txs in plan:
                statement = statement_vals.get("_record")
                for tx, unique_id in txs:
                    vals = self._prepare_line_values(journal, statement_vals, tx)
                    vals["unique_import_id"] = unique_id
                    if statement:
                        vals["statement_id"] = statement.id
                    partner = partners.get(id(tx))
                    if partner:
                        vals["partner_id"] = partner
                    self._set_currency_values(journal, vals, tx, currencies)
                    yield vals

        line_ids = []
        writer = StatementLineWriter(self.env, journal) \
            if self._fast_path_allowed(journal) else None
        for chunk in _batched(all_vals(), CHUNK_SIZE):
            line_ids += self._create_lines(journal, chunk, writer=writer).ids
        if writer is not None:
            writer.finish()
        self.env.flush_all()
        self._finalize_statements(plan)
        lines = Line.browse(line_ids)
        return {"lines": lines, "statements": statements_out, "skipped": len(skipped_refs),
                "skipped_refs": skipped_refs}

    @api.model
    def _prepare_line_values(self, journal, statement_vals, transaction):
        """Return the ``account.bank.statement.line`` values for one transaction.

        Hook for sources that carry more than the common ``Transaction`` fields: extend it
        with ``super()`` and add your own keys (e.g. from ``transaction.raw``).

        :param journal: the ``account.journal`` the line goes to
        :param statement_vals: dict of the statement being built (keys ``name``,
            ``balance_start``, ``balance_end_real``...; empty for lines without statement)
        :param transaction: a ``parsers.result.Transaction``
        :return: dict of field values: ``journal_id``, ``date``, ``amount`` (float, from
            the Decimal), ``payment_ref`` (the label), ``ref``, ``narration`` (HTML),
            ``partner_name``, ``account_number``, ``transaction_type`` and
            ``transaction_details`` (the whole transaction as JSON). The builder adds
            ``statement_id``, ``unique_import_id``, ``partner_id`` and the foreign
            currency fields after this hook.
        """
        label = (transaction.label or "").strip()
        ref = (transaction.ref or "").strip() or False
        vals = {
            "journal_id": journal.id,
            "date": transaction.date,
            "amount": float(transaction.amount),
            "payment_ref": label or ref or (transaction.partner_name or "").strip() or "/",
            "ref": ref,
            "partner_name": (transaction.partner_name or "").strip() or False,
            "account_number": (transaction.account_number or "").strip() or False,
            "transaction_type": transaction.transaction_type or False,
            "transaction_details": transaction.to_json(),
        }
        if transaction.narration and transaction.narration.strip():
            vals["narration"] = plaintext2html(transaction.narration.strip())
        return vals

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------

    def _check_access(self, journal):
        """The user must be allowed to create statement lines in ``journal``.

        Checked up front because the fast path writes rows directly.
        """
        for model in ("account.bank.statement.line", "account.bank.statement",
                      "account.move", "account.move.line"):
            self.env[model].check_access("create")
        journal.with_env(self.env).check_access("read")
        if journal.company_id not in self.env.companies:
            raise AccessError(self.env._(
                "You cannot import into %(journal)s: it belongs to %(company)s.",
                journal=journal.display_name, company=journal.company_id.display_name))

    def _check_journal(self, journal, statements):
        if journal.type not in ("bank", "cash", "credit"):
            raise UserError(self.env._(
                "Transactions can only be imported into a bank, cash or credit card journal, "
                "not into %(journal)s.", journal=journal.display_name))
        if journal.restrict_mode_hash_table:
            # Odoo 19 offers the hash only on sales, purchase and miscellaneous journals,
            # and refuses to hash unreconciled bank transactions: Odoo's own create fails
            # there with "All entries have to be reconciled".
            raise UserError(self.env._(
                "The journal %(journal)s secures its posted entries with a hash, which Odoo "
                "only allows for reconciled bank transactions: new transactions cannot be "
                "created in it. Import into a bank journal without \"Secure Posted Entries "
                "with Hash\".", journal=journal.display_name))
        journal_currency = journal.currency_id or journal.company_id.currency_id
        for stmt in statements:
            if stmt.currency and stmt.currency.upper() != journal_currency.name:
                raise UserError(self.env._(
                    "The statement %(statement)s is in %(currency)s but the journal "
                    "%(journal)s is in %(journal_currency)s.",
                    statement=stmt.name or stmt.account_number or "",
                    currency=stmt.currency, journal=journal.display_name,
                    journal_currency=journal_currency.name))

    def _check_lock_dates(self, journal, transactions):
        """Refuse, with a clear message, transactions dated in a locked period."""
        company = journal.company_id
        lock_date = company._get_user_fiscal_lock_date(journal)
        offending = [tx for tx in transactions if tx.date <= lock_date]
        if not offending:
            return
        violations = company._get_lock_date_violations(
            min(tx.date for tx in offending), fiscalyear=True, sale=False, purchase=False,
            tax=False, hard=True,
        )
        listed = "\n".join(
            f"- {format_date(self.env, tx.date)}  {tx.amount}  {tx.label or tx.ref or ''}"
            for tx in offending[:MAX_LISTED]
        )
        more = len(offending) - MAX_LISTED
        raise UserError(self.env._(
            "%(count)s transaction(s) are dated on or before the lock date of %(company)s "
            "(%(locks)s) and cannot be imported into %(journal)s:\n%(lines)s%(more)s\n"
            "Ask an adviser to change the lock date, or remove these transactions from "
            "the file.",
            count=len(offending), company=company.display_name,
            locks=company._format_lock_dates(violations) if violations else
            format_date(self.env, lock_date),
            journal=journal.display_name, lines=listed,
            more=self.env._("\n… and %(n)s more", n=more) if more > 0 else "",
        ))

    # ------------------------------------------------------------------
    # Duplicates
    # ------------------------------------------------------------------

    def _deduplicate(self, journal, statements, source):
        """Give every transaction its id; drop those already in the journal or repeated.

        :return: (``[(ParsedStatement, [(Transaction, unique_id)])]``, skipped ids)
        """
        batches = []
        for stmt in statements:
            occurrences = defaultdict(int)
            items = []
            for tx in stmt.transactions:
                if tx.unique_import_id:
                    unique_id = f"{source}:{tx.unique_import_id}"
                else:
                    key = _fingerprint_key(tx)
                    occurrences[key] += 1
                    unique_id = f"{source}:fp:{fingerprint(tx, occurrences[key])}"
                items.append((tx, unique_id))
            batches.append((stmt, items))
        existing = self._existing_import_ids(
            journal, {uid for _stmt, items in batches for _tx, uid in items})
        skipped = []
        seen = set()
        result = []
        for stmt, items in batches:
            kept = []
            for tx, unique_id in items:
                if unique_id in existing or unique_id in seen:
                    skipped.append(unique_id)
                    continue
                seen.add(unique_id)
                kept.append((tx, unique_id))
            result.append((stmt, kept))
        return result, skipped

    def _existing_import_ids(self, journal, unique_ids):
        """Return the subset of ``unique_ids`` already imported in ``journal`` (one query)."""
        if not unique_ids:
            return set()
        self.env["account.bank.statement.line"].flush_model(["unique_import_id", "journal_id"])
        self.env.cr.execute(
            "SELECT unique_import_id FROM account_bank_statement_line "
            "WHERE journal_id = %s AND unique_import_id = ANY(%s)",
            (journal.id, list(unique_ids)),
        )
        return {row[0] for row in self.env.cr.fetchall()}

    # ------------------------------------------------------------------
    # Partners and currencies
    # ------------------------------------------------------------------

    def _match_partners(self, journal, transactions):
        """Map ``id(transaction)`` to a partner id, by counterparty account then exact name.

        Bank accounts compare without spaces and case; a name or an account shared by
        several commercial partners matches nobody (better no partner than a wrong one).
        """
        company = journal.company_id
        numbers = {normalize_account_number(tx.account_number) for tx in transactions} - {""}
        names = {(tx.partner_name or "").strip() for tx in transactions} - {""}
        by_number = defaultdict(set)
        if numbers:
            banks = self.env["res.partner.bank"].search_fetch(
                [("sanitized_acc_number", "in", list(numbers)),
                 ("company_id", "in", [False, company.id])],
                ["sanitized_acc_number", "partner_id"],
            )
            for bank in banks:
                by_number[bank.sanitized_acc_number].add(
                    bank.partner_id.commercial_partner_id.id)
        by_name = defaultdict(set)
        if names:
            partners = self.env["res.partner"].search_fetch(
                [("name", "in", list(names)), ("company_id", "in", [False, company.id])],
                ["name", "commercial_partner_id"],
            )
            for partner in partners:
                by_name[partner.name].add(partner.commercial_partner_id.id)
        result = {}
        for tx in transactions:
            found = by_number.get(normalize_account_number(tx.account_number))
            if not found or len(found) != 1:
                found = by_name.get((tx.partner_name or "").strip())
            if found and len(found) == 1:
                result[id(tx)] = next(iter(found))
        return result

    def _get_currencies(self, journal, transactions):
        """Return ``{ISO code: res.currency}`` for the foreign currencies of the batch."""
        codes = {tx.foreign_currency.upper() for tx in transactions
                 if tx.foreign_currency and tx.foreign_amount is not None}
        if not codes:
            return {}
        currencies = self.env["res.currency"].with_context(active_test=False).search(
            [("name", "in", list(codes))])
        found = {currency.name: currency for currency in currencies}
        missing = codes - set(found)
        if missing:
            raise UserError(self.env._(
                "The currency %(codes)s used by some transactions is unknown in Odoo.",
                codes=", ".join(sorted(missing))))
        return found

    def _set_currency_values(self, journal, vals, transaction, currencies):
        journal_currency = journal.currency_id or journal.company_id.currency_id
        code = (transaction.foreign_currency or "").upper()
        if not code or transaction.foreign_amount is None or code == journal_currency.name:
            return
        vals["foreign_currency_id"] = currencies[code].id
        vals["amount_currency"] = float(transaction.foreign_amount)

    # ------------------------------------------------------------------
    # Statements
    # ------------------------------------------------------------------

    def _plan_statements(self, journal, todo, group_by, attachments):
        """Return ``[(statement_vals, [(tx, unique_id)])]`` in creation order.

        ``statement_vals`` is ``{}`` for lines without statement; it holds ``_record`` for a
        statement being extended.
        """
        currency = journal.currency_id or journal.company_id.currency_id
        attachment_commands = [(6, 0, attachments.ids)] if attachments else None
        reference = ", ".join(attachments.mapped("name")) if attachments else False
        plan = []
        if group_by is None:
            for stmt, txs in sorted(todo, key=lambda item: min(tx.date for tx, _u in item[1])):
                txs = sorted(txs, key=lambda item: item[0].date)  # stable: file order kept
                total = sum((Decimal(tx.amount) for tx, _u in txs), Decimal(0))
                skipped_some = len(txs) < len(stmt.transactions)
                end = stmt.balance_end
                if end is not None and (skipped_some or stmt.balance_start is None):
                    # The statement holds the new lines only: it opens where they start.
                    start = Decimal(end) - total
                elif stmt.balance_start is not None:
                    start = Decimal(stmt.balance_start)
                else:
                    start = None  # the journal's previous balance, known once ordered
                vals = {
                    "name": stmt.name or False,
                    "_start": start,
                    "_end": Decimal(end) if end is not None else None,
                    "_total": total,
                    "_last_date": max(tx.date for tx, _u in txs),
                    "reference": reference,
                }
                if attachment_commands:
                    vals["attachment_ids"] = attachment_commands
                plan.append((vals, txs))
            previous_end = None
            for vals, _txs in plan:
                if vals["_start"] is None:
                    if previous_end is None:
                        previous_end = self._journal_last_balance(journal)
                    vals["_start"] = previous_end
                if vals["_end"] is None:
                    vals["_end"] = vals["_start"] + vals["_total"]
                previous_end = vals["_end"]
                vals["balance_start"] = currency.round(float(vals.pop("_start")))
                vals["balance_end_real"] = currency.round(float(vals.pop("_end")))
            return plan
        txs_all = sorted((item for _stmt, txs in todo for item in txs),
                         key=lambda item: item[0].date)
        if group_by == "none":
            return [({}, txs_all)]
        groups = defaultdict(list)
        for item in txs_all:
            groups[self._period_start(item[0].date, group_by)].append(item)
        last = self._journal_last_statement(journal)
        last_key = last.date and self._period_start(last.date, group_by)
        previous_end = None
        for key in sorted(groups):
            txs = groups[key]
            total = sum((Decimal(tx.amount) for tx, _u in txs), Decimal(0))
            if last and key == last_key and not plan:
                vals = {"_record": last, "_extend_by": total}
                previous_end = Decimal(str(last.balance_end_real)) + total
                if attachment_commands:
                    vals["_attachments"] = attachments
            else:
                if previous_end is None:
                    previous_end = self._journal_last_balance(journal)
                start = previous_end
                previous_end = start + total
                vals = {
                    "name": False,
                    "_last_date": max(tx.date for tx, _u in txs),
                    "balance_start": currency.round(float(start)),
                    "balance_end_real": currency.round(float(previous_end)),
                    "reference": reference,
                }
                if attachment_commands:
                    vals["attachment_ids"] = attachment_commands
            plan.append((vals, txs))
        return plan

    @api.model
    def _period_start(self, day, group_by):
        """Return the first day of the ``group_by`` period holding ``day``."""
        if group_by == "day":
            return day
        if group_by == "week":
            return day - timedelta(days=day.weekday())
        if group_by == "bimonthly":
            return day.replace(day=1 if day.day <= 15 else 16)
        return day.replace(day=1)

    def _journal_last_statement(self, journal):
        return self.env["account.bank.statement"].search(
            [("journal_id", "=", journal.id), ("first_line_index", "!=", False)],
            order="first_line_index desc", limit=1)

    def _journal_last_balance(self, journal):
        """Return the journal's balance after its last line (Decimal).

        The last statement's ending balance, plus the lines booked after it without a
        statement (what Odoo itself takes as the next statement's starting balance).
        """
        last = self._journal_last_statement(journal)
        balance = Decimal(str(last.balance_end_real)) if last else Decimal(0)
        self.env["account.bank.statement.line"].flush_model()
        self.env.cr.execute(SQL(
            """SELECT COALESCE(SUM(line.amount), 0)
                 FROM account_bank_statement_line line
                 JOIN account_move move ON move.id = line.move_id
                WHERE line.journal_id = %(journal)s AND move.state = 'posted'
                  AND line.statement_id IS NULL
                  AND line.internal_index > COALESCE((
                      SELECT MAX(internal_index) FROM account_bank_statement_line
                       WHERE statement_id = %(statement)s), '')""",
            journal=journal.id, statement=last.id or 0,
        ))
        return balance + Decimal(str(self.env.cr.fetchone()[0]))

    def _create_statements(self, journal, plan):
        """Create the planned statements (without lines yet); return created + extended."""
        Statement = self.env["account.bank.statement"]
        to_create = [vals for vals, _txs in plan if vals and "_record" not in vals]
        create_list = []
        for vals in to_create:
            values = {k: v for k, v in vals.items() if not k.startswith("_")}
            if not values.get("name"):
                values["name"] = f"{journal.code} " + self.env._(
                    "Statement %(date)s", date=vals["_last_date"])
            create_list.append(values)
        created = Statement.create(create_list) if create_list else Statement
        for vals, record in zip(to_create, created, strict=True):
            vals["_record"] = record
        extended = Statement
        for vals, _txs in plan:
            if vals.get("_extend_by") is not None:
                record = vals["_record"]
                record.balance_end_real = record.currency_id.round(
                    float(Decimal(str(record.balance_end_real)) + vals["_extend_by"]))
                if vals.get("_attachments"):
                    record.attachment_ids = [(4, att.id) for att in vals["_attachments"]]
                extended |= record
        return created | extended

    def _finalize_statements(self, plan):
        """Hook after the lines exist (statements' computed fields follow their lines)."""
        return plan

    # ------------------------------------------------------------------
    # Line creation
    # ------------------------------------------------------------------

    def _create_lines(self, journal, vals_list, writer=None):
        """Create one chunk of statement lines; return them.

        With a ``writer`` (:class:`StatementLineWriter`, see :meth:`_fast_path_allowed`)
        the rows are inserted directly, else Odoo's own ``create`` is used.
        """
        if writer is not None:
            return writer.insert(vals_list)
        lines = self.env["account.bank.statement.line"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True,
        ).create(vals_list)
        lines.flush_recordset()
        return lines.with_env(self.env)

    def _fast_path_allowed(self, journal):
        """Whether the journal's lines can be written by the fast path.

        The fast path writes exactly what ``account.bank.statement.line.create`` writes for
        a plain statement line, in the company's currency or another one (amounts
        converted with Odoo's rates), with the analytic distribution models applied as
        Odoo applies them. Left to Odoo: journals with inalterability hashes (the hash
        chain is Odoo's to compute; Odoo 19 refuses new bank transactions there anyway,
        see :meth:`_check_journal`) and the ``bank_statement_import_no_fast_path``
        context key.
        """
        if self.env.context.get("bank_statement_import_no_fast_path"):
            return False
        if journal.restrict_mode_hash_table:
            return False
        return bool(journal.default_account_id and journal.suspense_account_id)
