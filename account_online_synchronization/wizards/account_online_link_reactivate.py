from odoo import fields, models


class AccountOnlineLinkReactivate(models.TransientModel):
    """Unblock a connection blocked for suspicious activity: an accounting administrator
    confirms the phone number given when the connection was made."""

    _name = "account.online.link.reactivate"
    _description = "Reactivate a Bank Connection"

    account_online_link_id = fields.Many2one(
        "account.online.link", required=True, ondelete="cascade", readonly=True
    )
    phone_number = fields.Char(required=True, help="The connection's phone number.")

    def action_confirm(self):
        """Reactivate when the number matches; otherwise say so (the attempt is logged)."""
        self.ensure_one()
        link = self.account_online_link_id
        if link._reactivate(self.phone_number):
            kind, message = "success", self.env._("The connection is active again.")
        else:
            kind, message = "danger", self.env._(
                "This phone number does not match the connection's: it stays blocked."
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": kind, "message": message,
                       "next": {"type": "ir.actions.act_window_close"}},
        }
