import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { listView } from "@web/views/list/list_view";
import { ListController } from "@web/views/list/list_controller";
import { ListRenderer } from "@web/views/list/list_renderer";
import { formatMonetary } from "@web/views/fields/formatters";
import { Chatter } from "@mail/chatter/web_portal/chatter";
import { status, useState, useSubEnv } from "@odoo/owl";

/**
 * Bank Matching: the transactions of a bank journal, most recent first, grouped by
 * statement. Logic lives in Python (account.bank.statement.line / account.bank.statement
 * methods); the components only display and call those methods.
 */
export class BankMatchingListController extends ListController {
    static template = "account_bank_statement_import.BankMatchingListView";
    static components = { ...ListController.components, Chatter };

    setup() {
        super.setup();
        this.http = useService("http");
        this.notification = useService("notification");
        this.bankMatching = useState({
            chatterMoveId: false,
            chatterRecordId: false,
            dropZoneVisible: false,
            uploading: false,
        });
        useSubEnv({
            bankMatching: {
                state: this.bankMatching,
                toggleChatter: (record) => this.toggleChatter(record),
                reload: () => this.model.load(),
            },
        });
    }

    // ---------------------------------------------------------------------
    // Chatter panel
    // ---------------------------------------------------------------------

    toggleChatter(record) {
        if (this.bankMatching.chatterRecordId === record.resId) {
            this.closeChatter();
            return;
        }
        this.bankMatching.chatterRecordId = record.resId;
        this.bankMatching.chatterMoveId = record.data.move_id.id;
    }

    closeChatter() {
        this.bankMatching.chatterRecordId = false;
        this.bankMatching.chatterMoveId = false;
        this.model.load();
    }

    // ---------------------------------------------------------------------
    // File drop zone. account_bank_statement_import's file import overrides
    // account.journal.create_document_from_attachment for bank journals: dropped
    // files are uploaded as attachments of the journal, then handed to it.
    // ---------------------------------------------------------------------

    get dropZoneJournalId() {
        return this.props.context.default_journal_id || false;
    }

    onDragEnter(ev) {
        if (this.dropZoneJournalId && ev.dataTransfer?.types.includes("Files")) {
            this.bankMatching.dropZoneVisible = true;
        }
    }

    onDragLeave(ev) {
        if (!ev.currentTarget.contains(ev.relatedTarget)) {
            this.bankMatching.dropZoneVisible = false;
        }
    }

    async onDrop(ev) {
        this.bankMatching.dropZoneVisible = false;
        const files = [...(ev.dataTransfer?.files || [])];
        if (files.length) {
            await this.importFiles(files);
        }
    }

    /**
     * Upload the files to the journal and let the journal turn them into transactions.
     * @param {File[]} files
     */
    async importFiles(files) {
        const journalId = this.dropZoneJournalId;
        if (!journalId) {
            return;
        }
        this.bankMatching.uploading = true;
        try {
            const response = await this.http.post(
                "/web/binary/upload_attachment",
                {
                    csrf_token: odoo.csrf_token,
                    ufile: files,
                    model: "account.journal",
                    id: journalId,
                },
                "text"
            );
            const uploaded = JSON.parse(response);
            const failed = uploaded.filter((file) => file.error);
            if (failed.length) {
                this.notification.add(failed.map((file) => file.error).join("\n"), {
                    title: _t("Upload failed"),
                    type: "danger",
                });
                return;
            }
            const action = await this.orm.call(
                "account.journal",
                "create_document_from_attachment",
                [[journalId], uploaded.map((file) => file.id)],
                { context: { default_journal_id: journalId } }
            );
            const reload = () => status(this) !== "destroyed" && this.model.load();
            if (action && action.type) {
                // The import's result may lead elsewhere (its "next" action): this view
                // is then gone and must not reload.
                await this.actionService.doAction(action, { onClose: reload });
            }
            await reload();
        } finally {
            this.bankMatching.uploading = false;
        }
    }
}

export class BankMatchingListRenderer extends ListRenderer {
    static groupRowTemplate = "account_bank_statement_import.BankMatchingGroupRow";
    static template = "account_bank_statement_import.BankMatchingListRenderer";

    setup() {
        super.setup();
        this.action = useService("action");
        this.orm = useService("orm");
        this.bankMatchingState = useState(this.env.bankMatching?.state || {});
        this.hover = useState({ recordId: false });
    }

    getRowClass(record) {
        const classNames = [super.getRowClass(record)];
        if (this.bankMatchingState.chatterRecordId === record.resId) {
            classNames.push("o_bank_matching_chatter_open");
        }
        if (this.hover.recordId === record.id) {
            classNames.push("o_bank_matching_hovered");
        }
        return classNames.join(" ");
    }

    onBankMatchingMouseOver(ev) {
        const row = ev.target.closest?.("tr.o_data_row");
        this.hover.recordId = row ? row.dataset.id : false;
    }

    onBankMatchingMouseLeave() {
        this.hover.recordId = false;
    }

    isStatementGroup(group) {
        return group.groupByField.name === "statement_id" && group.record?.resId;
    }

    statementInfo(group) {
        const data = group.record.data;
        const currencyId = data.currency_id?.id;
        const format = (value) => formatMonetary(value, { currencyId });
        return {
            reference: data.reference,
            balanceStart: format(data.balance_start),
            balanceEnd: format(data.balance_end_real),
            invalid: !data.is_valid || !data.is_complete,
            problem: data.problem_description,
        };
    }

    async openStatement(group) {
        const action = await this.orm.call(
            "account.bank.statement",
            "action_bank_matching_open",
            [[group.record.resId]]
        );
        await this.action.doAction(action, {
            onClose: () => this.props.list.model.load(),
        });
    }
}

export const bankMatchingListView = {
    ...listView,
    Controller: BankMatchingListController,
    Renderer: BankMatchingListRenderer,
};

registry.category("views").add("bank_matching_list", bankMatchingListView);
