import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatMonetary } from "@web/views/fields/formatters";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";
import { Component } from "@odoo/owl";

const CHATTER_ICONS = {
    none: { icon: "fa-comments-o", title: _t("Open the chatter") },
    attachment: { icon: "fa-paperclip", title: _t("Has an attachment") },
    activity: { icon: "fa-clock-o", title: _t("Has a scheduled activity") },
};

/** The chatter button of a transaction: its icon tells what the chatter holds. */
export class BankMatchingChatterButton extends Component {
    static template = "account_bank_statement_import.BankMatchingChatterButton";
    static props = { ...standardFieldProps };

    get chatterState() {
        return this.props.record.data[this.props.name] || "none";
    }

    get icon() {
        return CHATTER_ICONS[this.chatterState];
    }

    onClick() {
        this.env.bankMatching?.toggleChatter(this.props.record);
    }
}

registry.category("fields").add("bank_matching_chatter", {
    component: BankMatchingChatterButton,
    supportedTypes: ["selection"],
});

/** The amount of a transaction with the running balance under it. */
export class BankMatchingAmount extends Component {
    static template = "account_bank_statement_import.BankMatchingAmount";
    static props = { ...standardFieldProps };

    get currencyId() {
        return this.props.record.data.currency_id?.id;
    }

    get amount() {
        return formatMonetary(this.props.record.data[this.props.name], {
            currencyId: this.currencyId,
        });
    }

    get runningBalance() {
        return formatMonetary(this.props.record.data.running_balance, {
            currencyId: this.currencyId,
        });
    }

    get isNegative() {
        return this.props.record.data[this.props.name] < 0;
    }
}

registry.category("fields").add("bank_matching_amount", {
    component: BankMatchingAmount,
    supportedTypes: ["monetary"],
    relatedFields: [{ name: "running_balance", type: "monetary" }],
});

/**
 * The "Statement" button shown on a transaction's separator line when hovering it: creates
 * a statement from this transaction down to the previous statement.
 */
export class BankMatchingStatementButton extends Component {
    static template = "account_bank_statement_import.BankMatchingStatementButton";
    static props = { ...standardWidgetProps };

    setup() {
        this.action = useService("action");
        this.orm = useService("orm");
    }

    async onClick() {
        const record = this.props.record;
        const action = await this.orm.call(
            record.resModel,
            "action_bank_matching_create_statement",
            [[record.resId]]
        );
        await this.action.doAction(action, {
            onClose: () => record.model.load(),
        });
    }
}

registry.category("view_widgets").add("bank_matching_statement_button", {
    component: BankMatchingStatementButton,
});
