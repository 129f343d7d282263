from odoo import api, fields, models
from odoo.tools.misc import formatLang


class AccountBankStatement(models.Model):
    _inherit = "account.bank.statement"

    bank_matching_previous_balance = fields.Monetary(
        string="Previous Ending Balance",
        compute="_compute_bank_matching_warnings",
        help="Ending balance of the statement before this one.",
    )
    bank_matching_warning = fields.Text(
        string="Balance Warning",
        compute="_compute_bank_matching_warnings",
        help="Why the balances of this statement do not add up (saving is still allowed).",
    )

    @api.depends("balance_start", "balance_end", "balance_end_real", "first_line_index",
                 "journal_id", "line_ids")
    def _compute_bank_matching_warnings(self):
        for stmt in self:
            previous = stmt._bank_matching_previous_statement()
            stmt.bank_matching_previous_balance = previous.balance_end_real
            warnings = []
            currency = (
                stmt.currency_id or stmt.journal_id.currency_id or stmt.company_id.currency_id
            )
            previous_end = previous.balance_end_real
            if previous and currency.compare_amounts(stmt.balance_start, previous_end):
                warnings.append(self.env._(
                    "The starting balance differs from the ending balance of the previous "
                    "statement %(statement)s (%(balance)s).",
                    statement=previous.name,
                    balance=formatLang(self.env, previous.balance_end_real, currency_obj=currency),
                ))
            if currency.compare_amounts(stmt.balance_end_real, stmt.balance_end):
                warnings.append(self.env._(
                    "The ending balance differs from the running balance of the transactions "
                    "(%(balance)s).",
                    balance=formatLang(self.env, stmt.balance_end, currency_obj=currency),
                ))
            stmt.bank_matching_warning = "\n".join(warnings) or False

    def _bank_matching_previous_statement(self):
        """The statement of the same journal just before this one (by first transaction)."""
        self.ensure_one()
        first_index = self.first_line_index or min(
            (index for index in self.line_ids.mapped("internal_index") if index), default=None
        )
        journal = self.journal_id or self.line_ids.journal_id[:1]
        if not first_index or not journal:
            return self.browse()
        domain = [
            ("journal_id", "=", journal.id),
            ("first_line_index", "<", first_index),
            ("first_line_index", "!=", False),
        ]
        if self._origin.id:
            domain.append(("id", "!=", self._origin.id))
        return self.search(domain, order="first_line_index desc", limit=1)

    @api.model
    def _bank_matching_form_action(self, res_id=None, context=None):
        """The statement form (Create Statement dialog when no ``res_id``)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Statement") if res_id else self.env._("Create Statement"),
            "res_model": "account.bank.statement",
            "res_id": res_id,
            "view_mode": "form",
            "views": [(self.env.ref(
                "account_bank_statement_import.account_bank_statement_view_form").id, "form")],
            "target": "new",
            "context": context or {},
        }

    def action_bank_matching_open(self):
        """Open the statement in its form (from the Bank Matching view's separator)."""
        self.ensure_one()
        return self._bank_matching_form_action(res_id=self.id)

    def action_bank_matching_print(self):
        """Print the statement as PDF (attached to the statement when it has none yet)."""
        return self.env.ref("account.action_report_account_statement").report_action(self)

    def _bank_matching_attach_report(self, content, report_type):
        """Attach a printed statement to the statements in ``self`` without attachment."""
        for stmt in self.filtered(lambda s: not s.attachment_ids):
            extension = "pdf" if report_type == "pdf" else "html"
            attachment = self.env["ir.attachment"].create({
                "name": f"{stmt.name}.{extension}",
                "raw": content,
                "res_model": stmt._name,
                "res_id": stmt.id,
            })
            stmt.attachment_ids = [fields.Command.link(attachment.id)]
