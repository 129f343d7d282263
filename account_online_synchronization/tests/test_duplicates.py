import json
from collections import defaultdict

from odoo.tests import Form, tagged

from .common import NORDBANK, SANDBOX_FINANCE, OnlineSyncCase

CODE = "online_transaction_id"


@tagged("post_install", "-at_install")
class TestDuplicateFinder(OnlineSyncCase):
    """Bank Matching's duplicate finder on synchronized transactions."""

    def synchronize(self, institution, per_day=12, days=15):
        link = self.connect(institution, per_day=per_day)
        self.attach(link)
        self.add_line(self.journal, self.days_ago(days))
        link.action_fetch_transactions()
        return self.lines().filtered("online_transaction_identifier")

    def open_finder(self):
        action = self.journal.with_user(self.manager).action_bank_matching_find_duplicates()
        form = Form(self.env[action["res_model"]].with_user(self.manager)
                    .with_context(**action["context"]))
        form.date_from = self.days_ago(30)
        wizard = form.save()
        wizard.action_search()
        return wizard

    @staticmethod
    def groups_of(wizard, reason):
        groups = defaultdict(set)
        for line in wizard.line_ids.filtered(lambda line: line.reason == reason):
            groups[line.group_number].add(line.st_line_id.id)
        return sorted(map(sorted, groups.values()))

    def test_identical_bank_transactions_grouped_by_transaction_id(self):
        lines = self.synchronize(NORDBANK)
        flagged = lines.filtered("online_possible_duplicate")
        self.assertTrue(flagged, "the sandbox bank sends identical transactions here")
        # What the bank sent, field for field: lines with equal provider data are the
        # copies the finder must group (independently of how their ids are made).
        same_data = defaultdict(list)
        for line in lines.sorted("internal_index"):
            same_data[json.dumps(line.transaction_details["raw"]["provider"],
                                 sort_keys=True)].append(line.id)
        expected = sorted(sorted(ids) for ids in same_data.values() if len(ids) > 1)
        self.assertTrue(expected)
        groups = self.env["account.bank.statement.line"]._bank_matching_find_duplicate_groups(
            self.journal, self.days_ago(30))
        by_id = sorted(sorted(ids) for code, _label, ids in groups if code == CODE)
        self.assertEqual(by_id, expected)
        # The same in the wizard, every copy but the first proposed for deletion.
        wizard = self.open_finder()
        reason = "Same transaction id (bank synchronization)"
        self.assertEqual(self.groups_of(wizard, reason), expected)
        proposed = wizard.line_ids.filtered(lambda line: line.reason == reason and line.selected)
        self.assertEqual(len(proposed), sum(len(ids) - 1 for ids in expected))
        # The provider's own flags fill the Provider Duplicates tab.
        self.assertTrue(wizard.has_provider_duplicates)
        self.assertEqual(wizard.provider_line_ids.st_line_id, flagged)

    def test_copies_from_a_later_synchronization_join_the_first(self):
        lines = self.synchronize(NORDBANK)
        copy = lines.filtered("online_possible_duplicate").sorted("internal_index")[-1]
        base_id = copy.online_transaction_identifier.rsplit("-", 1)[0]
        first = lines.filtered(lambda line: line.online_transaction_identifier == base_id)
        self.assertTrue(first)
        # The first one came alone in an earlier synchronization: not flagged itself.
        first.sudo().online_possible_duplicate = False
        groups = self.env["account.bank.statement.line"]._bank_matching_find_duplicate_groups(
            self.journal, self.days_ago(30))
        group = next(ids for code, _label, ids in groups if code == CODE and copy.id in ids)
        self.assertIn(first.id, group)

    def test_bank_ids_never_grouped(self):
        """A bank that gives ids: distinct ids, no transaction-id group, nothing flagged."""
        lines = self.synchronize(SANDBOX_FINANCE, per_day=6)
        self.assertTrue(lines)
        self.assertFalse(lines.filtered("online_possible_duplicate"))
        groups = self.env["account.bank.statement.line"]._bank_matching_find_duplicate_groups(
            self.journal, self.days_ago(30))
        self.assertFalse([ids for code, _label, ids in groups if code == CODE])
        self.assertFalse(self.open_finder().has_provider_duplicates)

    def test_delete_synchronized_copy(self):
        lines = self.synchronize(NORDBANK)
        wizard = self.open_finder()
        reason = "Same transaction id (bank synchronization)"
        proposed = wizard.line_ids.filtered(
            lambda line: line.reason == reason and line.selected).st_line_id
        self.assertTrue(proposed)
        wizard.line_ids.filtered(lambda line: line.reason != reason).selected = False
        wizard.action_delete_selected()
        self.assertFalse(proposed.exists())
        self.assertEqual(self.lines().filtered("online_transaction_identifier"),
                         lines - proposed)
        self.assertFalse(self.groups_of(wizard, reason))
