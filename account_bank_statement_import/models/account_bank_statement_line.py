from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command, Domain
from odoo.tools import SQL


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    unique_import_id = fields.Char(
        string="Import ID",
        readonly=True,
        copy=False,
        help="Identifier of the transaction in the file it was imported from, built from "
        "what the bank gave (or a fingerprint when the format has no bank id). A "
        "transaction is never imported twice into the same journal.",
    )
    provider_duplicate_flag = fields.Boolean(
        string="Possible Duplicate (Provider)",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Set by the bank synchronization when the provider reports this transaction "
        "as a possible duplicate of another one.",
    )
    bank_matching_chatter_state = fields.Selection(
        selection=[
            ("none", "Nothing"),
            ("attachment", "Attachment"),
            ("activity", "Scheduled Activity"),
        ],
        string="Chatter",
        compute="_compute_bank_matching_chatter_state",
        help="What the transaction's chatter holds: a scheduled activity wins over an "
        "attachment.",
    )
    bank_matching_label = fields.Char(
        string="Matched With",
        compute="_compute_bank_matching_label",
        help="The items this transaction is reconciled with, or the account it is booked on.",
    )

    _unique_import_id_per_journal = models.Constraint(
        "unique (journal_id, unique_import_id)",
        "A transaction can only be imported once per journal.",
    )
    # Serves the duplicate finder's GROUP BY (journal, amount, day, account number): the
    # day is the first 8 characters of internal_index (YYYYMMDD...), a column of this table.
    _bank_matching_duplicate_idx = models.Index(
        "(journal_id, amount, (left(internal_index, 8)), account_number)"
    )

    # -------------------------------------------------------------------------
    # COMPUTE METHODS
    # -------------------------------------------------------------------------

    @api.depends("move_id.activity_ids", "move_id.message_attachment_count")
    def _compute_bank_matching_chatter_state(self):
        for st_line in self:
            move = st_line.move_id
            if move.activity_ids:
                st_line.bank_matching_chatter_state = "activity"
            elif move.message_attachment_count:
                st_line.bank_matching_chatter_state = "attachment"
            else:
                st_line.bank_matching_chatter_state = "none"

    @api.depends("is_reconciled", "move_id.line_ids.account_id",
                 "move_id.line_ids.matched_debit_ids", "move_id.line_ids.matched_credit_ids")
    def _compute_bank_matching_label(self):
        for st_line in self:
            _liquidity, _suspense, other_lines = st_line._seek_for_lines()
            labels = []
            for line in other_lines:
                matched = (
                    line.matched_debit_ids.debit_move_id | line.matched_credit_ids.credit_move_id
                ) - line
                if matched:
                    labels.extend(matched.move_id.mapped("display_name"))
                else:
                    labels.append(line.account_id.display_name)
            st_line.bank_matching_label = ", ".join(dict.fromkeys(labels)) or False

    # -------------------------------------------------------------------------
    # CRUD / ORM OVERRIDES
    # -------------------------------------------------------------------------

    @api.model
    def formatted_read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0,
                             limit=None, order=None):
        """In the Bank Matching view, list statement groups most recent first, the
        transactions belonging to no statement at the top."""
        if (
            self.env.context.get("bank_matching_view")
            and not order
            and groupby
            and groupby[0] == "statement_id"
        ):
            order = "statement_id ASC NULLS FIRST"
        return super().formatted_read_group(
            domain, groupby, aggregates, having=having, offset=offset, limit=limit, order=order
        )

    def _open_groups(self, **kwargs):
        """In the Bank Matching view, also unfold the group of the transactions without
        statement on first load (the web client folds empty many2one groups)."""
        super()._open_groups(**kwargs)
        if (
            not self.env.context.get("bank_matching_view")
            or kwargs["groupby"] != ["statement_id"]
            or kwargs["opening_info"]
            or not kwargs["auto_unfold"]
        ):
            return
        opened = {id(info["group"]) for info in kwargs["records_opening_info"]}
        for group in kwargs["groups"]:
            if not group["statement_id"] and id(group) not in opened:
                kwargs["records_opening_info"].append({
                    "domain": kwargs["parent_group_domain"] & Domain(group["__extra_domain"]),
                    "limit": kwargs["unfold_read_default_limit"],
                    "offset": 0,
                    "group": group,
                })

    # -------------------------------------------------------------------------
    # ACTION METHODS
    # -------------------------------------------------------------------------

    def action_bank_matching_set_account(self):
        """Open the Set Account wizard for this transaction."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Set Account"),
            "res_model": "account.bank.statement.line.set.account",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_st_line_id": self.id},
        }

    def action_bank_matching_match(self):
        """Open the Match wizard (open invoices, bills and payments) for this transaction."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Match"),
            "res_model": "account.bank.statement.line.match",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_st_line_id": self.id},
        }

    def action_bank_matching_undo(self):
        """Undo the reconciliation: the transaction goes back to the suspense account."""
        self.action_undo_reconciliation()
        return True

    def action_bank_matching_create_statement(self):
        """Open the Create Statement dialog for this transaction and the older transactions
        down to the previous statement (``split_line_id`` is understood by the statement's
        ``default_get`` in ``account``)."""
        self.ensure_one()
        return self.env["account.bank.statement"]._bank_matching_form_action(
            context={"split_line_id": self.id, "default_journal_id": self.journal_id.id},
        )

    def action_bank_matching_statement_from_selection(self):
        """Create a statement from the selected, contiguous transactions."""
        if not self:
            raise UserError(self.env._("Select the transactions of the statement first."))
        lines = self.sorted()
        return self.env["account.bank.statement"]._bank_matching_form_action(
            context={
                "st_line_id": lines[0].id,
                "active_ids": lines.ids,
                "default_journal_id": lines[0].journal_id.id,
            },
        )

    def action_bank_matching_find_duplicates(self):
        """Open the duplicate finder for the journal of these transactions (or the one
        of the view)."""
        journal_id = self.journal_id[:1].id or self.env.context.get("default_journal_id")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Find Duplicate Transactions"),
            "res_model": "account.bank.statement.duplicate",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_journal_id": journal_id},
        }

    def action_bank_matching_upload(self):
        """Open the statement import wizard for the journal of the view (Upload button)."""
        journal_id = self.journal_id[:1].id or self.env.context.get("default_journal_id")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_bank_statement_import.account_statement_import_action")
        action["context"] = {"default_journal_id": journal_id} if journal_id else {}
        return action

    def action_bank_matching_open_move(self):
        """Open the journal entry of the transaction (for the chatter and the journal items)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # -------------------------------------------------------------------------
    # BUSINESS METHODS
    # -------------------------------------------------------------------------

    def _bank_matching_describe(self):
        """A short human description of the transaction, for messages."""
        self.ensure_one()
        return f"{self.date} {self.payment_ref or ''} {self.amount}".strip()

    def _bank_matching_suspense_amounts(self):
        """Return (suspense line, amount_currency, balance) still to be matched."""
        self.ensure_one()
        _liquidity, suspense, _other = self._seek_for_lines()
        if not suspense:
            raise UserError(self.env._(
                "The transaction %(line)s is already fully reconciled.",
                line=self._bank_matching_describe(),
            ))
        return suspense, suspense.amount_currency, suspense.balance

    def _bank_matching_replace_suspense(self, counterpart_vals_list):
        """Replace (part of) the suspense line by the given counterpart journal items.

        :param counterpart_vals_list: ``account.move.line`` values with ``account_id``,
            ``amount_currency`` (in the suspense line's currency) and ``balance``; their sum
            must not exceed what is left on the suspense line, the rest stays in suspense.
        :return: the created counterpart journal items, in the given order.
        """
        self.ensure_one()
        suspense, remaining_currency, remaining_balance = self._bank_matching_suspense_amounts()
        currency = suspense.currency_id
        company_currency = suspense.company_currency_id
        commands = [Command.delete(suspense.id)]
        for vals in counterpart_vals_list:
            remaining_currency = currency.round(remaining_currency - vals["amount_currency"])
            remaining_balance = company_currency.round(remaining_balance - vals["balance"])
            commands.append(Command.create({
                "name": self.payment_ref,
                "partner_id": self.partner_id.id,
                "currency_id": currency.id,
                **vals,
            }))
        fully_matched = currency.is_zero(remaining_currency) and company_currency.is_zero(
            remaining_balance
        )
        if not fully_matched:
            commands.append(Command.create({
                "name": suspense.name,
                "account_id": suspense.account_id.id,
                "partner_id": suspense.partner_id.id,
                "currency_id": currency.id,
                "amount_currency": remaining_currency,
                "balance": remaining_balance,
            }))
        before = self.move_id.line_ids
        self.move_id.with_context(skip_readonly_check=True, force_delete=True).write(
            {"line_ids": commands}
        )
        created = (self.move_id.line_ids - before).sorted("id")
        return created[: len(counterpart_vals_list)]

    def _bank_matching_counterpart_for(self, move_line, remaining_currency, remaining_balance):
        """Values of the counterpart paying ``move_line`` (an open receivable/payable or
        outstanding item), limited to what is left on the transaction (partial match)."""
        self.ensure_one()
        amounts = self._prepare_counterpart_amounts_using_st_line_rate(
            move_line.currency_id,
            -move_line.amount_residual,
            -move_line.amount_residual_currency,
        )
        amount_currency, balance = amounts["amount_currency"], amounts["balance"]
        if (amount_currency > 0) != (remaining_currency > 0) or not amount_currency:
            raise UserError(self.env._(
                "%(item)s goes the other way than the transaction %(line)s: it cannot be "
                "matched with it.",
                item=move_line.move_id.display_name, line=self._bank_matching_describe(),
            ))
        if abs(amount_currency) > abs(remaining_currency):
            amount_currency, balance = remaining_currency, remaining_balance
        return {
            "account_id": move_line.account_id.id,
            "partner_id": move_line.partner_id.id or self.partner_id.id,
            "name": move_line.move_id.display_name,
            "amount_currency": amount_currency,
            "balance": balance,
        }

    def _bank_matching_reconcile_with(self, move_lines):
        """Match the transaction with open journal items (invoices, bills, payments):
        each gets a counterpart on its account, reconciled with it; what the items do not
        cover stays in suspense, what the transaction does not cover stays open on them."""
        self.ensure_one()
        if not move_lines:
            raise UserError(self.env._("Select at least one item to match."))
        nothing_matched = not self._seek_for_lines()[2]
        if not self.partner_id and len(move_lines.partner_id) == 1 and nothing_matched:
            # Writing the partner rebuilds the journal entry: only while nothing is matched yet.
            self.partner_id = move_lines.partner_id
        suspense, remaining_currency, remaining_balance = self._bank_matching_suspense_amounts()
        vals_list, targets = [], []
        for move_line in move_lines:
            if suspense.currency_id.is_zero(remaining_currency):
                break
            vals = self._bank_matching_counterpart_for(
                move_line, remaining_currency, remaining_balance
            )
            remaining_currency -= vals["amount_currency"]
            remaining_balance -= vals["balance"]
            vals_list.append(vals)
            targets.append(move_line)
        counterparts = self._bank_matching_replace_suspense(vals_list)
        for counterpart, move_line in zip(counterparts, targets, strict=True):
            (counterpart | move_line).reconcile()
        return counterparts

    def _bank_matching_book_on_account(self, account, label=None, taxes=None):
        """Book what is left on the suspense line on ``account`` (taxes included in the
        amount when given): the transaction is then reconciled."""
        self.ensure_one()
        suspense, amount_currency, balance = self._bank_matching_suspense_amounts()
        label = label or self.payment_ref
        taxes = taxes or self.env["account.tax"]
        if not taxes:
            return self._bank_matching_replace_suspense([{
                "account_id": account.id, "name": label,
                "amount_currency": amount_currency, "balance": balance,
            }])
        currency = suspense.currency_id
        company_currency = suspense.company_currency_id
        sign = -1 if amount_currency < 0 else 1
        result = taxes.with_context(force_price_include=True).compute_all(
            abs(amount_currency), currency=currency, partner=self.partner_id,
            is_refund=amount_currency < 0,
        )
        vals_list = []
        taxes_currency = taxes_balance = 0.0
        for tax in result["taxes"]:
            tax_currency = sign * currency.round(tax["amount"])
            tax_balance = (
                tax_currency if currency == company_currency
                else company_currency.round(tax_currency * balance / amount_currency)
            )
            taxes_currency += tax_currency
            taxes_balance += tax_balance
            vals_list.append({
                "account_id": tax["account_id"] or account.id,
                "name": tax["name"],
                "amount_currency": tax_currency,
                "balance": tax_balance,
                "tax_repartition_line_id": tax["tax_repartition_line_id"],
                "tax_tag_ids": [Command.set(tax["tag_ids"])],
                "tax_base_amount": sign * abs(tax["base"]),
            })
        base = {
            "account_id": account.id,
            "name": label,
            "amount_currency": currency.round(amount_currency - taxes_currency),
            "balance": company_currency.round(balance - taxes_balance),
            "tax_ids": [Command.set(taxes.ids)],
            "tax_tag_ids": [Command.set(result["base_tags"])],
        }
        return self._bank_matching_replace_suspense([base, *vals_list])

    def _bank_matching_candidate_domain(self):
        """Domain of the journal items this transaction may be matched with: open
        receivable/payable items and the outstanding lines of payments."""
        self.ensure_one()
        return [
            *self._get_default_amls_matching_domain(),
            ("account_id", "!=", self.journal_id.suspense_account_id.id),
            ("account_id", "!=", self.journal_id.default_account_id.id),
            "|",
            ("account_id.account_type", "in", ("asset_receivable", "liability_payable")),
            ("payment_id", "!=", False),
        ]

    def _bank_matching_score(self, move_line):
        """Rank a candidate: same amount first, then reference/communication, then partner.
        Returns an integer, higher is better (used for the suggestions' order)."""
        self.ensure_one()
        score = 0
        currency = self.foreign_currency_id or self.currency_id
        amount = self.amount_currency if self.foreign_currency_id else self.amount
        residual = (
            move_line.amount_residual_currency
            if move_line.currency_id == currency else move_line.amount_residual
        )
        if currency.is_zero(abs(residual) - abs(amount)) and (residual > 0) == (amount > 0):
            score += 100
        elif (residual > 0) == (amount > 0):
            score += 10
        text = " ".join(filter(None, [self.payment_ref, self.narration and str(self.narration)]))
        text = text.lower()
        move = move_line.move_id
        references = {move.name, move.ref, move.payment_reference, move_line.name}
        if text and any(ref and len(ref) > 2 and ref.lower() in text for ref in references):
            score += 60
        if self.partner_id and move_line.partner_id.commercial_partner_id == (
            self.partner_id.commercial_partner_id
        ):
            score += 30
        elif self.partner_name and move_line.partner_id and (
            move_line.partner_id.name or ""
        ).lower() in self.partner_name.lower():
            score += 20
        return score

    def _bank_matching_suggestions(self, partner=None, limit=40):
        """Candidates ranked by :meth:`_bank_matching_score` (best first)."""
        self.ensure_one()
        domain = self._bank_matching_candidate_domain()
        if partner:
            domain.append(("partner_id", "child_of", partner.commercial_partner_id.id))
        candidates = self.env["account.move.line"].search(domain, order="date desc, id desc",
                                                          limit=500)
        ranked = sorted(candidates, key=lambda aml: (-self._bank_matching_score(aml), aml.id))
        return self.env["account.move.line"].concat(*ranked[:limit])

    @api.model
    def _bank_matching_duplicate_keys(self):
        """Return the ways transactions are grouped as potential duplicates.

        Extension hook: return the parent list plus your own entries (``super()``). Each entry
        is a ``(code, label, key, condition)`` tuple of which ``key`` is a list of
        :class:`odoo.tools.SQL` expressions over the alias ``st_line`` (the
        ``account_bank_statement_line`` table) and ``condition`` an SQL boolean expression a
        line must satisfy to be grouped by that key. Two transactions of the same journal
        with equal keys are potential duplicates. ``account_online_synchronization`` adds the
        provider's transaction id this way. (``unique_import_id`` is no key: it is unique per
        journal, so it never groups two lines.)
        """
        return [
            (
                "amount_date_account",
                self.env._("Same amount, date and account number"),
                [
                    SQL("st_line.amount"),
                    SQL("left(st_line.internal_index, 8)"),
                    SQL("st_line.account_number"),
                ],
                SQL("TRUE"),
            ),
        ]

    @api.model
    def _bank_matching_provider_duplicate_domain(self):
        """Return the domain of the transactions that the bank-sync provider itself flagged
        as possible duplicates (the duplicate finder's Provider Duplicates tab).

        Extension hook: a synchronization addon that keeps its own flag returns
        ``super() | Domain(its_flag, "=", True)``.
        """
        return Domain("provider_duplicate_flag", "=", True)

    @api.model
    def _bank_matching_find_duplicate_groups(self, journal, date_from=None):
        """Groups of potential duplicates in ``journal`` from ``date_from`` on, found by one
        grouped SQL query over the keys of :meth:`_bank_matching_duplicate_keys`.

        :return: a list of ``(code, label, line ids)``, lines ordered oldest first.
        """
        self.flush_model()  # every column: extensions' keys may read any of them
        self.env["account.move"].flush_model(["state"])
        keys = self._bank_matching_duplicate_keys()
        since = date_from.strftime("%Y%m%d") if date_from else ""
        parts = []
        for code, _label, key, condition in keys:
            # Account numbers are compared with NULL meaning "none": NULL = NULL is unknown.
            key_sql = SQL(", ").join(SQL("COALESCE((%s)::text, '')", expr) for expr in key)
            parts.append(SQL(
                """
                SELECT %(code)s AS code, array_agg(st_line.id ORDER BY st_line.internal_index)
                  FROM account_bank_statement_line st_line
                 WHERE st_line.journal_id = %(journal)s
                   AND st_line.internal_index >= %(since)s
                   AND %(condition)s
              GROUP BY %(key)s
                HAVING count(*) > 1
                """,
                code=code, journal=journal.id, since=since, condition=condition, key=key_sql,
            ))
        self.env.cr.execute(SQL(" UNION ALL ").join(parts))
        rows = self.env.cr.fetchall()
        # Cancelled transactions are no duplicates; checking only the few grouped lines
        # keeps the grouping on this table alone (no join over the whole journal).
        candidate_ids = list({line_id for _code, ids in rows for line_id in ids})
        cancelled = set()
        if candidate_ids:
            self.env.cr.execute(SQL(
                """
                SELECT st_line.id
                  FROM account_bank_statement_line st_line
                  JOIN account_move move ON move.id = st_line.move_id
                 WHERE st_line.id = ANY(%s) AND move.state = 'cancel'
                """,
                candidate_ids,
            ))
            cancelled = {line_id for (line_id,) in self.env.cr.fetchall()}
        rows = [(code, [i for i in ids if i not in cancelled]) for code, ids in rows]
        labels = {code: label for code, label, _key, _condition in keys}
        order = {code: index for index, (code, *_rest) in enumerate(keys)}
        groups = sorted(
            (row for row in rows if len(row[1]) > 1), key=lambda row: (order[row[0]], row[1])
        )
        return [(code, labels[code], ids) for code, ids in groups]
