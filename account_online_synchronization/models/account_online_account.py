import json
import logging
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.account_bank_statement_import.parsers.result import (
    ParsedStatement,
    Transaction,
)

from ..providers import exceptions as provider_exceptions

_logger = logging.getLogger(__name__)


class AccountOnlineAccount(models.Model):
    """A bank account reachable through a connection, linked to at most one journal."""

    _name = "account.online.account"
    _description = "Online Bank Account"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    online_identifier = fields.Char(string="Provider Account ID", required=True, readonly=True)
    account_online_link_id = fields.Many2one(
        "account.online.link", string="Connection", required=True, ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="account_online_link_id.company_id", store=True)
    iban = fields.Char(string="IBAN")
    currency_id = fields.Many2one("res.currency")
    balance = fields.Monetary(readonly=True)
    balance_date = fields.Date(readonly=True)
    last_sync = fields.Date(
        string="Synchronized Until", readonly=True,
        help="Transactions are fetched from the day after this date.",
    )
    journal_ids = fields.One2many(
        "account.journal", "account_online_account_id", string="Journal"
    )
    pending_transaction_ids = fields.One2many(
        "account.online.pending.transaction", "account_online_account_id",
        string="Pending Transactions", readonly=True,
    )

    _unique_identifier_per_link = models.Constraint(
        "unique (account_online_link_id, online_identifier)",
        "This account is already part of the connection.",
    )

    @api.constrains("journal_ids")
    def _check_single_journal(self):
        for account in self:
            if len(account.journal_ids) > 1:
                raise ValidationError(
                    self.env._(
                        "The online account %(name)s can only be linked to one journal.",
                        name=account.name,
                    )
                )

    # -- synchronization --------------------------------------------------------------

    def _get_fetch_range(self, journal, today):
        """Return ``(date_from, date_to)`` of the next fetch.

        From the day after ``last_sync``; on the first synchronization, from the day after
        the journal's last transaction, or (empty journal) as far back as the bank's
        consent allows. Never on or before the company's lock date for this journal.
        """
        link = self.account_online_link_id
        oldest = today - timedelta(days=max(link.history_days - 1, 0))
        if self.last_sync:
            date_from = self.last_sync + timedelta(days=1)
        else:
            last_line = self.env["account.bank.statement.line"].search(
                [("journal_id", "=", journal.id)], order="date desc, id desc", limit=1
            )
            date_from = last_line.date + timedelta(days=1) if last_line else oldest
        lock_date = journal.company_id._get_user_fiscal_lock_date(journal, ignore_exceptions=True)
        if lock_date and lock_date > date.min:
            date_from = max(date_from, lock_date + timedelta(days=1))
        date_from = min(max(date_from, oldest), today)
        return date_from, today

    def _sync_transactions(self, client, commit=False):
        """Fetch and book the account's transactions; return the number of lines made.

        The provider gives the booked transactions oldest first, after reading and
        checking its whole answer (a malformed answer raises before anything is booked)
        while holding little of it in memory. They become statement lines through the
        shared builder, in batches of about ``SYNC_BATCH_SIZE`` whole days; ``last_sync``
        advances with each batch (committed in the cron), so an interrupted run resumes
        after the last batch and a repeated one skips what exists (ids are unique per
        journal). Pending transactions are only listed, once the booked ones are done.
        """
        self.ensure_one()
        journal = self.journal_ids[:1]
        link = self.account_online_link_id
        today = fields.Date.today()
        date_from, date_to = self._get_fetch_range(journal, today)
        lock_date = journal.company_id._get_user_fiscal_lock_date(journal, ignore_exceptions=True)
        pending = []

        def booked():
            pages = client.fetch_transactions(self.online_identifier, date_from, date_to)
            for page in pages:
                for txn in page.transactions:
                    if txn.pending:
                        pending.append(txn)
                    elif txn.date and date_from <= txn.date and txn.date > lock_date:
                        yield txn

        created = 0
        statement = self.env["account.bank.statement"]  # "none": this run's statement
        for batch in self._split_by_day(booked(), link.SYNC_BATCH_SIZE):
            with self.env.cr.savepoint():
                count, statement = self._book(journal, batch, link.provider, statement)
                created += count
                done_until = min(batch[-1].date, date_to - timedelta(days=1))
                if not self.last_sync or done_until > self.last_sync:
                    self.sudo().last_sync = done_until
            if commit:
                link._commit_batch()
            # Lines of earlier batches are in the database: do not keep them in memory.
            self.env.invalidate_all()
        self._replace_pending(pending)
        if not self.last_sync or self.last_sync < date_to - timedelta(days=1):
            self.sudo().last_sync = date_to - timedelta(days=1)
        self._update_balance(client)
        return created

    @api.model
    def _split_by_day(self, transactions, size):
        """Yield lists of about ``size`` transactions, never splitting one day.

        :param transactions: iterable in date order (the provider contract); a
            transaction older than the previous one is a bug and raises ValueError,
            since booking it after newer ones would break statements and resuming.
        """
        batch = []
        for txn in transactions:
            if batch and txn.date < batch[-1].date:
                raise ValueError(
                    f"Provider transactions out of date order ({txn.date} after "
                    f"{batch[-1].date})"
                )
            if len(batch) >= size and txn.date != batch[-1].date:
                yield batch
                batch = []
            batch.append(txn)
        if batch:
            yield batch

    def _book(self, journal, transactions, provider, statement):
        """Book one batch of provider transactions; return ``(lines made, statement)``.

        Grouping "none" is one statement per synchronization (what Odoo Enterprise's
        ``bank_statement_creation_groupby`` "none" did): the first batch of the run
        creates it, the next ones extend it (``statement``, the one returned before).
        The builder's own "none" would mean no statement at all.
        """
        parsed = ParsedStatement(
            account_number=self.iban or None,
            currency=self.currency_id.name or None,
            date=transactions[-1].date,
            transactions=[self._to_transaction(txn, provider) for txn in transactions],
        )
        period = journal.online_sync_period
        builder = self.env["account.bank.statement.line.builder"]
        if period == "none" and statement:
            builder = builder.with_context(online_sync_extend_statement=statement.id)
        result = builder._import_statements(
            journal, [parsed], group_by=None if period == "none" else period,
            source=f"online:{provider}",
        )
        if period == "none":
            if statement and result["lines"]:
                # Named, like the builder names it, after its last transaction.
                statement.name = f"{journal.code} " + self.env._(
                    "Statement %(date)s", date=max(result["lines"].mapped("date")))
            statement = statement or result["statements"][:1]
        return len(result["lines"]), statement

    def _to_transaction(self, txn, provider):
        """Turn a provider :class:`Txn` into the builder's :class:`Transaction`."""
        return Transaction(
            date=txn.date,
            amount=txn.amount,
            value_date=txn.value_date,
            currency=txn.currency or None,
            foreign_amount=txn.foreign_amount,
            foreign_currency=txn.foreign_currency or None,
            label=txn.label,
            ref=txn.end_to_end_ref or None,
            unique_import_id=txn.id,  # the builder prefixes "online:<provider>:"
            partner_name=txn.partner_name or None,
            account_number=txn.counterparty_account or None,
            transaction_type=txn.bank_transaction_code or None,
            raw={
                "online_transaction_identifier": txn.id,
                "online_account_id": self.id,
                "online_possible_duplicate": txn.possible_duplicate,
                # Decimals as strings: the raw data must stay JSON-able.
                "provider": json.loads(json.dumps(txn.raw, default=str)),
            },
        )

    def _replace_pending(self, transactions):
        """Show the bank's not-yet-booked transactions instead of the previous ones."""
        self.ensure_one()
        Pending = self.env["account.online.pending.transaction"].sudo()
        Pending.search([("account_online_account_id", "=", self.id)]).unlink()
        currencies = {self.currency_id.name: self.currency_id}
        values = []
        for txn in transactions:
            if txn.currency not in currencies:
                currencies[txn.currency] = self.env["res.currency"].search(
                    [("name", "=", txn.currency)], limit=1
                )
            values.append({
                "account_online_account_id": self.id,
                "online_transaction_identifier": txn.id,
                "date": txn.date,
                "amount": float(txn.amount),
                "currency_id": currencies[txn.currency].id or self.currency_id.id,
                "payment_ref": txn.label,
                "partner_name": txn.partner_name,
            })
        Pending.create(values)

    def _update_balance(self, client):
        try:
            report = client.fetch_balance(self.online_identifier)
        except provider_exceptions.RateLimitError as error:
            _logger.info("Balance of online account %s skipped: %s", self.id, error.reference)
            return
        balance = report.preferred()
        if balance:
            self.sudo().write({
                "balance": float(balance.amount),
                "balance_date": balance.reference_date or fields.Date.today(),
            })
