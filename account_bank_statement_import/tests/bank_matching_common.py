from odoo.tests import TransactionCase, new_test_user


class BankMatchingCase(TransactionCase):
    """A bank journal, an accountant and helpers to create transactions and invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, login="bm_accountant",
            groups="account.group_account_manager,account.group_account_user,base.group_partner_manager",
        )
        cls.env = cls.env(user=cls.accountant)
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        cls.journal = cls.env["account.journal"].create({
            "name": "Matching Bank", "code": "MBNK", "type": "bank",
        })
        cls.partner = cls.env["res.partner"].create({"name": "Acme Matching"})
        cls.other_partner = cls.env["res.partner"].create({"name": "Other Customer"})
        cls.income_account = cls.env["account.account"].search([
            *cls.env["account.account"]._check_company_domain(cls.company),
            ("account_type", "=", "income"),
        ], limit=1)
        cls.expense_account = cls.env["account.account"].search([
            *cls.env["account.account"]._check_company_domain(cls.company),
            ("account_type", "=", "expense"),
        ], limit=1)

    def st_line(self, amount, date="2025-03-10", label="Transaction", **values):
        return self.env["account.bank.statement.line"].create({
            "journal_id": self.journal.id,
            "date": date,
            "payment_ref": label,
            "amount": amount,
            **values,
        })

    def invoice(self, amount, partner=None, move_type="out_invoice", date="2025-03-01"):
        move = self.env["account.move"].create({
            "move_type": move_type,
            "partner_id": (partner or self.partner).id,
            "invoice_date": date,
            "date": date,
            "invoice_line_ids": [fields_command_create({
                "name": "Service",
                "quantity": 1,
                "price_unit": amount,
                "tax_ids": [(6, 0, [])],
            })],
        })
        move.action_post()
        return move

    @staticmethod
    def receivable_line(move):
        return move.line_ids.filtered(
            lambda line: line.account_id.account_type in ("asset_receivable", "liability_payable")
        )


def fields_command_create(values):
    return (0, 0, values)
