from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command, Domain


class AccountBankStatementDuplicate(models.TransientModel):
    """Find transactions imported or synchronized twice, and delete the extra copies."""

    _name = "account.bank.statement.duplicate"
    _description = "Find Duplicate Transactions"

    journal_id = fields.Many2one(
        "account.journal", required=True, domain="[('type', 'in', ('bank', 'cash', 'credit'))]",
    )
    company_id = fields.Many2one(related="journal_id.company_id")
    date_from = fields.Date(
        string="From", required=True,
        default=lambda self: fields.Date.context_today(self) - relativedelta(months=3),
        help="Only look at the transactions from this date on.",
    )
    line_ids = fields.One2many(
        "account.bank.statement.duplicate.line", "wizard_id", string="Potential Duplicates",
        domain=[("kind", "=", "group")],
    )
    provider_line_ids = fields.One2many(
        "account.bank.statement.duplicate.line", "wizard_id", string="Provider Duplicates",
        domain=[("kind", "=", "provider")],
    )
    has_provider_duplicates = fields.Boolean(compute="_compute_has_provider_duplicates")
    searched = fields.Boolean(readonly=True)

    @api.depends("provider_line_ids")
    def _compute_has_provider_duplicates(self):
        for wizard in self:
            wizard.has_provider_duplicates = bool(wizard.provider_line_ids)

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Find Duplicate Transactions"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def action_search(self):
        """Fill the wizard with the groups of potential duplicates from the chosen date on.
        In each group, every transaction but the oldest is selected for deletion (never a
        reconciled one)."""
        self.ensure_one()
        st_line_model = self.env["account.bank.statement.line"]
        groups = st_line_model._bank_matching_find_duplicate_groups(
            self.journal_id, self.date_from
        )
        commands = [Command.clear()]
        for number, (_code, label, ids) in enumerate(groups, start=1):
            lines = st_line_model.browse(ids)
            for index, st_line in enumerate(lines):
                commands.append(Command.create({
                    "kind": "group",
                    "group_number": number,
                    "reason": label,
                    "st_line_id": st_line.id,
                    "selected": index > 0 and not st_line.is_reconciled,
                }))
        flagged = st_line_model.search(
            st_line_model._bank_matching_provider_duplicate_domain()
            & Domain("journal_id", "=", self.journal_id.id)
            & Domain("date", ">=", self.date_from),
            order="internal_index",
        )
        for st_line in flagged:
            commands.append(Command.create({
                "kind": "provider",
                "reason": self.env._("Flagged by the bank provider"),
                "st_line_id": st_line.id,
            }))
        self.write({"line_ids": commands, "searched": True})
        return self._reopen()

    def action_delete_selected(self):
        """Delete the selected transactions; reconciled ones are refused.

        Transactions in a statement are taken out of it first (Odoo refuses to delete a
        line of a complete statement). The statement keeps its ending balance: when the
        bank's figure counted the deleted line, the statement shows the difference
        instead of hiding it."""
        self.ensure_one()
        all_lines = self.line_ids | self.provider_line_ids
        to_delete = all_lines.filtered("selected").st_line_id
        if not to_delete:
            raise UserError(self.env._("Select the transactions to delete first."))
        reconciled = to_delete.filtered("is_reconciled")
        if reconciled:
            raise UserError(self.env._(
                "Undo the reconciliation of these transactions before deleting them: %(lines)s",
                lines="; ".join(reconciled.mapped(lambda line: line._bank_matching_describe())),
            ))
        to_delete.filtered("statement_id").statement_id = False
        to_delete.unlink()
        return self.action_search()
