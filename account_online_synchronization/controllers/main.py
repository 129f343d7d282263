from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request


class OnlineSynchronizationController(http.Controller):
    @http.route(
        "/account_online_synchronization/callback", type="http", auth="user",
        methods=["GET"], website=False,
    )
    def consent_callback(self, ref=None, error=None, details=None, **_kw):
        """Where the bank sends the user back after the consent screens.

        ``ref`` is the random reference given when the consent started: it names the
        connection (which the user must be allowed to change). On success the user picks
        the accounts to synchronize; otherwise the connection's form shows what happened.
        """
        link = request.env["account.online.link"]._find_by_consent_reference(ref)
        if not link:
            raise NotFound()
        link.check_access("write")
        if link._complete_consent(error=error and f"{error}: {details or ''}".strip(": ")):
            action = "account_online_synchronization.account_online_link_action_select_accounts"
            return request.redirect(f"/odoo/{link.id}/action-{action}")
        return request.redirect(
            f"/odoo/action-account_online_synchronization.account_online_link_action/{link.id}"
        )
