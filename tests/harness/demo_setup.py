# Runs inside `odoo-bin shell` (``env`` is given) to make the demo database ready to use.
admin = env.ref("base.user_admin")  # noqa: F821
admin.write({"group_ids": [(4, env.ref("account.group_account_user").id)]})  # noqa: F821
company = env.company  # noqa: F821
bank = env["account.journal"].search(  # noqa: F821
    [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
)
bank.write({"name": "Demo Bank", "bank_acc_number": "NL91ABNA0417164300"})
env.cr.commit()  # noqa: F821
print("demo ready:", bank.display_name)
