import { Component } from "@odoo/owl";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { _t } from "@web/core/l10n/translation";
import { ACTIONS_GROUP_NUMBER } from "@web/search/action_menus/action_menus";

const isBankMatching = ({ searchModel }) =>
    searchModel.resModel === "account.bank.statement.line" &&
    Boolean(searchModel.globalContext.bank_matching_view) &&
    Boolean(searchModel.globalContext.default_journal_id);

/** "Find Duplicate Transactions" and "Opening Balance" in the Bank Matching view's Actions. */
class BankMatchingJournalAction extends Component {
    static template = "account_bank_statement_import.BankMatchingJournalAction";
    static props = {};
    static components = { DropdownItem };
    static methodName = "";
    static label = "";

    setup() {
        this.action = useService("action");
    }

    get label() {
        return this.constructor.label;
    }

    async onClick() {
        const searchModel = this.env.searchModel;
        await this.action.doActionButton({
            type: "object",
            resModel: "account.journal",
            resId: searchModel.globalContext.default_journal_id,
            name: this.constructor.methodName,
            onClose: () => searchModel.trigger("update"),
        });
    }
}

export class BankMatchingFindDuplicates extends BankMatchingJournalAction {
    static methodName = "action_bank_matching_find_duplicates";
    static label = _t("Find Duplicate Transactions");
}

export class BankMatchingOpeningBalance extends BankMatchingJournalAction {
    static methodName = "action_bank_matching_opening_balance";
    static label = _t("Opening Balance");
}

const cogMenuRegistry = registry.category("cogMenu");
cogMenuRegistry.add(
    "bank-matching-find-duplicates",
    { Component: BankMatchingFindDuplicates, groupNumber: ACTIONS_GROUP_NUMBER, isDisplayed: isBankMatching },
    { sequence: 20 }
);
cogMenuRegistry.add(
    "bank-matching-opening-balance",
    { Component: BankMatchingOpeningBalance, groupNumber: ACTIONS_GROUP_NUMBER, isDisplayed: isBankMatching },
    { sequence: 21 }
);
