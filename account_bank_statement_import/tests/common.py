"""Shared fixtures of the Odoo tests: an accountant, a bank journal, parsed statements."""

import datetime
from decimal import Decimal
from pathlib import Path

from odoo.tests import TransactionCase, new_test_user

from ..parsers.result import ParsedStatement, Transaction

SAMPLES = Path(__file__).parent / "samples"


def tx(day, amount, label="", **kwargs):
    """A ``Transaction`` on ``day`` (ISO string) for ``amount`` (string)."""
    return Transaction(
        date=datetime.date.fromisoformat(day), amount=Decimal(amount), label=label, **kwargs
    )


def statement(transactions, **kwargs):
    """A ``ParsedStatement`` holding ``transactions``; Decimal balances from strings."""
    for key in ("balance_start", "balance_end"):
        if isinstance(kwargs.get(key), str):
            kwargs[key] = Decimal(kwargs[key])
    return ParsedStatement(transactions=list(transactions), **kwargs)


class ImportCase(TransactionCase):
    """A company with a bank journal and an accountant who may import into it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.accountant = new_test_user(
            cls.env, login="bsi_builder_accountant",
            groups="account.group_account_manager,account.group_account_user,"
                   "base.group_partner_manager",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.env = cls.env(user=cls.accountant)
        cls.journal = cls.env["account.journal"].create({
            "name": "Import Bank", "code": "IMPB", "type": "bank",
        })
        cls.builder = cls.env["account.bank.statement.line.builder"]

    def import_statements(self, statements, journal=None, **kwargs):
        """Run the builder into ``journal`` (default: the test journal)."""
        return self.builder._import_statements(journal or self.journal, statements, **kwargs)
