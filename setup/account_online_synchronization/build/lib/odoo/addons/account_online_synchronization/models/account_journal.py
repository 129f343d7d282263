from odoo import fields, models


class AccountJournal(models.Model):
    _inherit = "account.journal"

    account_online_account_id = fields.Many2one(
        "account.online.account", string="Online Account", copy=False, index="btree_not_null",
        check_company=True, ondelete="set null",
    )
    account_online_link_id = fields.Many2one(
        related="account_online_account_id.account_online_link_id", string="Bank Connection",
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
