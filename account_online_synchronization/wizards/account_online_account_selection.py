from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountOnlineAccountSelection(models.TransientModel):
    """After the bank's consent: which accounts to synchronize, into which journals."""

    _name = "account.online.account.selection"
    _description = "Choose the Accounts to Synchronize"

    account_online_link_id = fields.Many2one(
        "account.online.link", required=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="account_online_link_id.company_id")
    line_ids = fields.One2many(
        "account.online.account.selection.line", "selection_id", string="Accounts"
    )

    @api.model_create_multi
    def create(self, vals_list):
        """Propose one line per account of the connection."""
        wizards = super().create(vals_list)
        for wizard in wizards:
            if wizard.line_ids:
                continue
            taken = set()
            lines = []
            for account in wizard.account_online_link_id.account_online_account_ids:
                journal = account.journal_ids[:1] or wizard._guess_journal(account, taken)
                taken.add(journal.id)
                lines.append({
                    "selection_id": wizard.id,
                    "account_online_account_id": account.id,
                    "to_sync": True,
                    "journal_id": journal.id,
                })
            self.env["account.online.account.selection.line"].create(lines)
        return wizards

    def _guess_journal(self, account, taken):
        """An unlinked bank journal of the company with the account's IBAN, if any."""
        if not account.iban:
            return self.env["account.journal"]
        candidates = self.env["account.journal"].search([
            ("type", "=", "bank"),
            ("company_id", "=", self.company_id.id),
            ("account_online_account_id", "=", False),
        ])
        for journal in candidates:
            number = (journal.bank_acc_number or "").replace(" ", "").upper()
            if number == account.iban and journal.id not in taken:
                return journal
        return self.env["account.journal"]

    def action_confirm(self):
        """Link the chosen accounts to their journals (new ones where none is given),
        unlink the others, then run the first synchronization."""
        self.ensure_one()
        link = self.account_online_link_id
        chosen = self.line_ids.filtered("to_sync")
        journals = chosen.journal_id
        if len(journals) < len(chosen.filtered("journal_id")):
            raise UserError(self.env._("Two accounts cannot go to the same journal."))
        for line in chosen.filtered("journal_id"):
            journal_currency = line.journal_id.currency_id or self.company_id.currency_id
            if line.currency_id and line.currency_id != journal_currency:
                raise UserError(self.env._(
                    "The account %(account)s is in %(currency)s: it cannot go to the journal "
                    "%(journal)s, which is in %(journal_currency)s. Leave the journal empty "
                    "to create one in the right currency.",
                    account=line.name, currency=line.currency_id.name,
                    journal=line.journal_id.display_name,
                    journal_currency=journal_currency.name,
                ))
        for line in self.line_ids - chosen:
            line.account_online_account_id.journal_ids.account_online_account_id = False
        for line in chosen:
            account = line.account_online_account_id
            journal = line.journal_id or self._create_journal(account)
            if account.journal_ids and account.journal_ids != journal:
                account.journal_ids.account_online_account_id = False
            journal.write({
                "account_online_account_id": account.id,
                "bank_statements_source": "online_sync",
            })
        if chosen:
            link._sync(manual=True)
        return self.env["ir.actions.act_window"]._for_xml_id(
            "account.open_account_journal_dashboard_kanban"
        )

    def _create_journal(self, account):
        company = self.company_id
        values = {
            "name": account.name,
            "type": "bank",
            "company_id": company.id,
        }
        if account.currency_id and account.currency_id != company.currency_id:
            values["currency_id"] = account.currency_id.id
        journal = self.env["account.journal"].create(values)
        if account.iban:
            # The company's own bank account: accountants may lack the contact rights.
            journal.sudo().bank_acc_number = account.iban
        return journal
