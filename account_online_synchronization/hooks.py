"""Install hook: retire the connections of the legacy ``account_online_sync`` module.

Assumption (Odoo Enterprise 12.0/13.0 ``account_online_sync``, the module before the
14.0 rewrite): a connection is a row of ``account_online_provider`` (``status`` a free
text column such as ``SUCCESS`` / ``FAILED``, ``message``, ``action_required``,
``provider_type`` ``plaid``/``yodlee``/``ponto``..., ``company_id``); its accounts are rows
of ``account_online_journal`` (``account_online_provider_id``) and a journal points to
one through ``account_journal.account_online_journal_id``. Databases migrated from those
versions may still hold these tables (and the module row, uninstallable on 19.0).

The legacy aggregators' credentials cannot serve the new providers and must never be
reused: the hook only reads ids and names. It marks every legacy connection
``DISCONNECTED`` (and ``action_required``), tells the user on each linked journal's chatter
that it must be reconnected with this module, and leaves the old module and its data
alone (no uninstall, no deletion).
"""

import logging

from markupsafe import Markup

from odoo.tools import sql

_logger = logging.getLogger(__name__)

LEGACY_STATUS = "DISCONNECTED"


def post_init_hook(env):
    """Mark legacy ``account_online_sync`` connections disconnected and say so."""
    cr = env.cr
    if not sql.table_exists(cr, "account_online_provider"):
        return
    columns = {
        name for name in ("status", "message", "action_required", "name", "company_id")
        if sql.column_exists(cr, "account_online_provider", name)
    }
    if "status" not in columns:
        _logger.info("Legacy table account_online_provider has no status column: left as is")
        return
    assignments = ["status = %s"]
    params = [LEGACY_STATUS]
    if "message" in columns:
        assignments.append("message = %s")
        params.append("Reconnect this bank with the Online Bank Synchronization module.")
    if "action_required" in columns:
        assignments.append("action_required = TRUE")
    cr.execute(
        f"UPDATE account_online_provider SET {', '.join(assignments)} "  # noqa: S608
        "WHERE status IS DISTINCT FROM %s "
        "RETURNING id" + (", name" if "name" in columns else ", NULL"),
        [*params, LEGACY_STATUS],
    )
    providers = dict(cr.fetchall())
    _logger.info("Marked %s legacy online synchronization connection(s) disconnected",
                 len(providers))
    journals = _legacy_journals(cr) if providers else []
    for journal_id, provider_id in journals:
        journal = env["account.journal"].browse(journal_id).exists()
        if not journal or provider_id not in providers:
            continue  # gone, or already retired by an earlier run
        name = providers[provider_id] or str(provider_id)
        journal.message_post(body=Markup("<p>%s</p>") % env._(
            "The bank connection %(name)s of the former online synchronization "
            "(account_online_sync) is disconnected: connect this bank again with Online "
            "Bank Synchronization (Accounting > Configuration > Add a Bank Account). "
            "Its old credentials are not reused.",
            name=name,
        ))


def _legacy_journals(cr):
    """Return ``(journal id, legacy provider id)`` pairs, if the legacy links exist."""
    if not (sql.table_exists(cr, "account_online_journal")
            and sql.column_exists(cr, "account_journal", "account_online_journal_id")
            and sql.column_exists(cr, "account_online_journal", "account_online_provider_id")):
        return []
    cr.execute(
        "SELECT j.id, o.account_online_provider_id FROM account_journal j "
        "JOIN account_online_journal o ON o.id = j.account_online_journal_id "
        "ORDER BY j.id"
    )
    return cr.fetchall()
