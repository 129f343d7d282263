# Runs inside `odoo-bin shell` (``env`` is given) to make the demo database ready to use.
# Without BANKFEEDS_SANDBOX_URL: the one-time setup of a new demo database. With it (every
# run, since the sandbox bank forgets its consents when it stops): point the online
# synchronization at the sandbox, (re)connect the sandbox's "Hausbank" through the real
# consent flow and synchronize its account in the journal's currency into "Demo Bank".
import os
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import requests

from odoo import fields

admin = env.ref("base.user_admin")  # noqa: F821
admin.write({"group_ids": [(4, env.ref("account.group_account_user").id)]})  # noqa: F821
company = env.company  # noqa: F821
bank = env["account.journal"].search(  # noqa: F821
    [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
)
bank.write({"name": "Demo Bank", "bank_acc_number": "NL91ABNA0417164300"})

sandbox_url = os.environ.get("BANKFEEDS_SANDBOX_URL")
if sandbox_url:
    from odoo.addons.account_online_synchronization.sandbox import (
        DEMO_SECRET_ID,
        DEMO_SECRET_KEY,
    )

    params = env["ir.config_parameter"].sudo()  # noqa: F821
    params.set_param("web.base.url", os.environ["BANKFEEDS_URL"])
    params.set_param("web.base.url.freeze", "True")
    BANK_ID = "SBX_HAUSBANK_HBDEDEFF"  # one EUR and one USD account
    prefix = "account_online_synchronization."
    params.set_param(prefix + "gocardless_secret_id", DEMO_SECRET_ID)
    params.set_param(prefix + "gocardless_secret_key", DEMO_SECRET_KEY)
    params.set_param(prefix + "gocardless_url", sandbox_url)
    Link = env["account.online.link"].with_user(admin)  # noqa: F821
    link = Link.search([("institution_identifier", "=", BANK_ID)], limit=1)
    if not link:
        link = Link.create({
            "name": "Hausbank",
            "institution_identifier": BANK_ID,
            "institution_name": "Hausbank",
            "history_days": 730,
            "phone_number": "+32470123456",
        })
    # A new sandbox knows no consent: start a fresh one (accounts re-matched by IBAN).
    link.sudo().provider_data = {"session": (link.sudo().provider_data or {}).get("session")}
    action = link._start_consent(BANK_ID)
    answer = requests.post(action["url"], data={"action": "authorise"},
                           allow_redirects=False, timeout=30)
    reference = parse_qs(urlsplit(answer.headers["Location"]).query)["ref"][0]
    assert Link._find_by_consent_reference(reference) == link
    assert link._complete_consent(), link.message_ids[:1].body
    currency = bank.currency_id or company.currency_id
    account = link.account_online_account_ids.filtered(
        lambda a: a.currency_id == currency)[:1]
    assert account, f"the sandbox bank has no {currency.name} account"
    if not account.journal_ids:
        bank.write({"account_online_account_id": account.id,
                    "bank_statements_source": "online_sync"})
    if not account.last_sync:
        # A month of history is enough to show (the bank would give two years).
        account.sudo().last_sync = fields.Date.today() - timedelta(days=31)
    created = link._sync(manual=True)
    print(f"demo connection: {link.name} {link.state}, {created} new line(s)")

env.cr.commit()  # noqa: F821
print("demo ready:", bank.display_name)
