from odoo import fields, models
from odoo.exceptions import UserError


class AccountJournal(models.Model):
    _inherit = "account.journal"

    account_online_account_id = fields.Many2one(
        "account.online.account", string="Online Account", copy=False, index="btree_not_null",
        check_company=True, ondelete="set null",
    )
    account_online_link_id = fields.Many2one(
        related="account_online_account_id.account_online_link_id", string="Bank Connection",
    )
    account_online_link_state = fields.Selection(
        related="account_online_link_id.state", string="Connection State"
    )
    account_online_error_description = fields.Text(
        related="account_online_link_id.error_description", string="Synchronization Error"
    )
    account_online_error_reference = fields.Char(
        related="account_online_link_id.error_reference", string="Error Reference"
    )
    online_sync_period = fields.Selection(
        [
            ("none", "One statement per synchronization"),
            ("day", "Daily"),
            ("week", "Weekly"),
            ("bimonthly", "Every two weeks"),
            ("month", "Monthly"),
        ],
        string="Statements Grouped",
        default="month",
        help="How synchronized transactions are grouped into statements.",
    )

    _unique_online_account = models.Constraint(
        "unique (account_online_account_id)",
        "An online account can only be linked to one journal.",
    )

    def __get_bank_statements_available_sources(self):
        """Offer online synchronization as a bank feed (name-mangled in ``account``)."""
        sources = super().__get_bank_statements_available_sources()
        sources.append(("online_sync", self.env._("Online Synchronization")))
        return sources

    def action_online_sync_now(self):
        """"Synchronize Now" on the dashboard card: synchronize the journal's connection."""
        links = self.account_online_link_id
        if not links:
            raise UserError(self.env._("This journal has no online bank account."))
        return links.action_fetch_transactions()

    def action_online_open_connection(self):
        """Open the journal's bank connection (error details, reconnect buttons)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.online.link",
            "res_id": self.account_online_link_id.id,
            "view_mode": "form",
        }
