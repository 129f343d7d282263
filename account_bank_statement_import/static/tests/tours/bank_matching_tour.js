import { registry } from "@web/core/registry";

const row = (label) => `.o_data_row:contains("${label}")`;

registry.category("web_tour.tours").add("account_bank_statement_import_bank_matching", {
    steps: () => [
        // The "N to reconcile" button of the bank card opens the Not Matched transactions.
        {
            content: "Open the unreconciled transactions from the bank card",
            trigger: '.o_kanban_record:contains("Tour Bank") .o_bank_matching_to_reconcile:contains("4 to reconcile")',
            run: "click",
        },
        {
            content: "The Not Matched filter is set",
            trigger: '.o_searchview_facet:contains("Not Matched")',
        },
        {
            content: "Reconciled transactions are filtered out",
            trigger: `.o_list_table:not(:has(${row("Reconciled salary")}))`,
        },
        {
            content: "The user can remove the filter",
            trigger: '.o_searchview_facet:contains("Not Matched") .o_facet_remove',
            run: "click",
        },
        {
            content: "The reconciled transaction shows what it is matched with",
            trigger: `${row("Reconciled salary")} .o_bank_matching_label:contains("Tour Salaries")`,
        },
        {
            content: "Undo its reconciliation",
            trigger: `${row("Reconciled salary")} button.o_bank_matching_undo`,
            run: "click",
        },
        {
            trigger: ".modal-footer .btn-primary:contains('Ok')",
            run: "click",
        },
        {
            content: "The action buttons are back instead of the matched account",
            trigger: `${row("Reconciled salary")} button[name=action_bank_matching_set_account]`,
        },
        {
            trigger: `${row("Reconciled salary")}:not(:has(.o_bank_matching_label:contains("Tour Salaries")))`,
        },
        // Group separators: statement name, balances, invalid warning.
        {
            content: "The statement separator shows its warning",
            trigger: '.o_group_header:contains("Tour Statement") .o_bank_matching_statement_invalid',
        },
        {
            content: "The transactions without statement come first",
            trigger: ".o_group_header:first:contains('None')",
        },
        // Chatter icons.
        {
            content: "A transaction with an activity shows the activity icon",
            trigger: `${row("Activity line")} .o_bank_matching_chatter_activity`,
        },
        {
            content: "A transaction with an attachment shows the paperclip",
            trigger: `${row("Attached line")} .o_bank_matching_chatter_attachment`,
        },
        {
            content: "Hover a transaction with an empty chatter",
            trigger: row("Fee line"),
            run: "hover",
        },
        {
            content: "Its chatter button appears on hover",
            trigger: `.o_bank_matching_hovered${row("Fee line")} .o_bank_matching_chatter_none:visible`,
            run: "click",
        },
        {
            content: "The chatter opens and the row is highlighted",
            trigger: `.o_bank_matching_chatter_panel .o-mail-Chatter`,
        },
        {
            trigger: `tr.o_bank_matching_chatter_open${row("Fee line")}`,
        },
        {
            content: "Close the chatter",
            trigger: ".o_bank_matching_chatter_close",
            run: "click",
        },
        // Set Account.
        {
            content: "Set Account on the fee",
            trigger: `${row("Fee line")} button[name=action_bank_matching_set_account]`,
            run: "click",
        },
        {
            trigger: ".modal div[name=account_id] input",
            run: "edit Tour Fees",
        },
        {
            trigger: '.o-autocomplete--dropdown-item:contains("Tour Fees")',
            run: "click",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The fee shows its account instead of the buttons",
            trigger: `${row("Fee line")} .o_bank_matching_label:contains("Tour Fees")`,
        },
        {
            trigger: `${row("Fee line")}:not(:has(button[name=action_bank_matching_match]))`,
        },
        // Match with an invoice.
        {
            content: "Match the customer payment",
            trigger: `${row("Customer pays")} button[name=action_bank_matching_match]`,
            run: "click",
        },
        {
            content: "Select the suggested invoice",
            trigger: ".modal .o_bank_matching_candidates .o_data_row:first .o_field_boolean_toggle input",
            run: "click",
        },
        {
            trigger: ".modal .o_bank_matching_candidates .o_data_row:first .o_field_boolean_toggle input:checked",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The payment shows the invoice",
            trigger: `${row("Customer pays")} .o_bank_matching_label:contains("INV/")`,
        },
        // Statement button on hover.
        {
            content: "Hover the most recent transaction",
            trigger: row("Attached line"),
            run: "hover",
        },
        {
            content: "Its Statement button appears",
            trigger: `.o_bank_matching_hovered${row("Attached line")} .o_bank_matching_statement_btn:visible`,
            run: "click",
        },
        {
            content: "The Create Statement dialog proposes the previous ending balance",
            trigger: '.modal div[name=balance_start] input',
            run: function () {
                const value = document.querySelector(".modal div[name=balance_start] input").value;
                if (!value.includes("600.00")) {
                    throw new Error(`Unexpected starting balance ${value}`);
                }
            },
        },
        {
            trigger: ".modal div[name=name] input",
            run: "edit Tour New Statement",
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The new statement separates its transactions",
            trigger: '.o_group_header:contains("Tour New Statement")',
        },
        {
            content: "Clicking a statement's amount opens it",
            trigger: '.o_group_header:contains("Tour Statement") .o_bank_matching_statement_amount',
            run: "click",
        },
        {
            content: "The statement explains why it is invalid",
            trigger: '.modal .o_bank_matching_statement_warning:contains("running balance")',
        },
        {
            trigger: ".modal .o_form_button_cancel, .modal .btn-close",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

registry.category("web_tour.tours").add("account_bank_statement_import_bank_matching_duplicates", {
    steps: () => [
        {
            trigger: '.o_kanban_record:contains("Tour Bank") a[name=open_action]',
            run: "click",
        },
        {
            trigger: ".o_bank_matching_list .o_data_row",
        },
        {
            content: "Open the Actions menu",
            trigger: ".o_control_panel .o_cp_action_menus button.dropdown-toggle",
            run: "click",
        },
        {
            trigger: '.o_bank_matching_journal_action:contains("Find Duplicate Transactions")',
            run: "click",
        },
        {
            trigger: ".modal div[name=date_from] button",
            run: "click",
        },
        {
            trigger: ".modal div[name=date_from] input",
            run: "edit 01/01/2025",
        },
        {
            trigger: ".modal .modal-title",
            run: "click",
        },
        {
            trigger: ".modal button[name=action_search]",
            run: "click",
        },
        {
            content: "The duplicate pair is listed, the newest selected",
            trigger: '.modal div[name=line_ids] .o_data_row:contains("Twice") .o_field_boolean_toggle input:checked',
        },
        {
            trigger: ".modal button[name=action_delete_selected]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary:contains('Ok')",
            run: "click",
        },
        {
            content: "Nothing left to delete",
            trigger: ".modal:contains('No potential duplicates found')",
        },
    ],
});

const droppedFile = () => {
    const dataTransfer = new DataTransfer();
    dataTransfer.items.add(
        new File(
            ["!Type:Bank\nD2/26/25\nT-12.34\nPDropped coffee\n^\n"],
            "dropped.qif",
            { type: "application/qif" }
        )
    );
    return dataTransfer;
};

registry.category("web_tour.tours").add("account_bank_statement_import_bank_matching_drop", {
    steps: () => [
        {
            trigger: '.o_kanban_record:contains("Tour Bank") a[name=open_action]',
            run: "click",
        },
        {
            trigger: ".o_bank_matching_list .o_data_row",
        },
        {
            content: "Drag a statement file over the view",
            trigger: ".o_view_controller.o_bank_matching_list",
            run: function () {
                const target = document.querySelector(".o_view_controller.o_bank_matching_list");
                target.dispatchEvent(
                    new DragEvent("dragenter", { dataTransfer: droppedFile(), bubbles: true })
                );
            },
        },
        {
            content: "The upload area appears",
            trigger: '.o_bank_matching_drop_zone:contains("Drop bank statement files"):visible',
        },
        {
            content: "Drop the file",
            trigger: ".o_bank_matching_drop_zone",
            run: function () {
                const target = document.querySelector(".o_view_controller.o_bank_matching_list");
                target.dispatchEvent(
                    new DragEvent("drop", { dataTransfer: droppedFile(), bubbles: true })
                );
            },
        },
        {
            content: "The file is imported into the journal",
            trigger: '.o_notification:contains("1 transaction(s) imported")',
        },
        {
            content: "The imported transaction is shown",
            trigger: '.o_data_row:contains("Dropped coffee")',
        },
        {
            trigger: "body:not(:has(.o_bank_matching_drop_zone))",
        },
    ],
});
