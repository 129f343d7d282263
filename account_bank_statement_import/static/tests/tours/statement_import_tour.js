import { registry } from "@web/core/registry";

/**
 * Statement import in the browser: the CSV mapping screen, and files dropped on the
 * dashboard's bank card and on the Bank Matching list. Files are real File objects in a
 * real DataTransfer, handed to the page as the browser would (file input, drag events).
 */

const CARD = '.o_kanban_record:contains("Tour Import Bank")';

// Dates fit both %d/%m/%Y and %m/%d/%Y: the mapping screen proposes the first, the
// user switches to the second (the Python side checks the dates of the created lines).
const MAPPING_CSV = [
    "Date;Label;Amount;Counterparty",
    "03/01/2025;Tour coffee;-3,50;Bean Shop",
    "04/02/2025;Tour salary;1.250,00;ACME Tour",
    "",
].join("\n");

// A CAMT.053 statement of the tour journal's account (two entries).
const CAMT = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>TOUR1</MsgId><CreDtTm>2025-03-31T12:00:00</CreDtTm></GrpHdr><Stmt><Id>TOUR-CAMT-1</Id><CreDtTm>2025-03-31T12:00:00</CreDtTm><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct><Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">7.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-02</Dt></Dt></Bal><Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">107.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-31</Dt></Dt></Bal><Ntry><NtryRef>TOUR-E1</NtryRef><Amt Ccy="EUR">120.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-03-10</Dt></BookgDt><ValDt><Dt>2025-03-10</Dt></ValDt><AcctSvcrRef>TOUR-REF-1</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>Dropped CAMT in</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry><Ntry><NtryRef>TOUR-E2</NtryRef><Amt Ccy="EUR">20.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-03-11</Dt></BookgDt><ValDt><Dt>2025-03-11</Dt></ValDt><AcctSvcrRef>TOUR-REF-2</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>Dropped CAMT out</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>',
].join("\n");

function csvFile(name, text) {
    return new File([text], name, { type: "text/csv" });
}

function dataTransferOf(files) {
    const dataTransfer = new DataTransfer();
    for (const file of files) {
        dataTransfer.items.add(file);
    }
    return dataTransfer;
}

function setInputFiles(input, files) {
    input.files = dataTransferOf(files).files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

function dispatchDrag(element, type, files) {
    element.dispatchEvent(
        new DragEvent(type, {
            dataTransfer: dataTransferOf(files),
            bubbles: true,
            cancelable: true,
        })
    );
}

registry.category("web_tour.tours").add("account_bank_statement_import_csv_mapping", {
    steps: () => [
        {
            content: "Open the bank card's menu",
            trigger: CARD,
            run: `hover && click ${CARD} .o_dropdown_kanban .dropdown-toggle`,
        },
        {
            content: "Import file",
            trigger: '.o-dropdown--kanban-record-menu a:contains("Import file")',
            run: "click",
        },
        {
            content: "The wizard knows the journal",
            trigger: '.modal div[name=journal_id] input:value("Tour Import Bank")',
        },
        {
            content: "Give it a CSV file",
            trigger: ".modal div[name=attachment_ids] input.o_input_file:not(:visible)",
            run() {
                setInputFiles(this.anchor, [csvFile("tour_mapping.csv", MAPPING_CSV)]);
            },
        },
        {
            content: "The file is uploaded",
            trigger: '.modal div[name=attachment_ids] .o_attachment:contains("tour_mapping.csv")',
        },
        {
            trigger: ".modal-footer button[name=action_import]",
            run: "click",
        },
        // The mapping step: preview and proposed mapping.
        {
            content: "The preview shows the file's first rows",
            trigger: '.modal div[name=preview_html] td:contains("Tour coffee")',
        },
        {
            content: "The date column is proposed",
            trigger: '.modal div[name=map_date] input:value("Date")',
        },
        {
            content: "The amount column is proposed",
            trigger: '.modal div[name=map_amount] input:value("Amount")',
        },
        {
            content: "The screen says the dates fit both orders",
            trigger: '.modal .alert:contains("fit several formats")',
        },
        {
            content: "The detected date format is day first",
            trigger: '.modal div[name=map_date_format] input:value("%d/%m/%Y")',
        },
        // A wrong amount column: Test shows the error, nothing is created.
        {
            content: "Map the amount on the label column",
            trigger: ".modal div[name=map_amount] input",
            run: "edit Label",
        },
        {
            trigger: ".modal-footer button[name=action_test]",
            run: "click",
        },
        {
            content: "Test explains why the file cannot be imported",
            trigger: '.modal div[name=test_result]:contains("Error"):contains("Tour coffee")',
        },
        // The right columns and the month-first date format.
        {
            trigger: ".modal div[name=map_amount] input",
            run: "edit Amount",
        },
        {
            content: "Switch the date format to month first",
            trigger: ".modal div[name=map_date_format] input",
            run: "edit %m/%d/%Y",
        },
        {
            trigger: ".modal-footer button[name=action_test]",
            run: "click",
        },
        {
            content: "Test shows what would be created",
            trigger: '.modal div[name=test_result]:contains("2 transaction(s) imported")',
        },
        {
            content: "Import",
            trigger: ".modal-footer button[name=action_import]",
            run: "click",
        },
        {
            content: "The import is announced",
            trigger: '.o_notification:contains("2 transaction(s) imported")',
        },
        {
            content: "It ends on the imported transactions",
            trigger: '.o_breadcrumb .o_last_breadcrumb_item:contains("Imported transactions")',
        },
        {
            trigger: '.o_list_view .o_data_row:contains("Tour salary")',
        },
        {
            trigger: '.o_list_view .o_data_row:contains("Tour coffee")',
        },
    ],
});

registry.category("web_tour.tours").add("account_bank_statement_import_drop_files", {
    steps: () => [
        // Two files dropped on the dashboard card.
        {
            content: "Drag two statement files over the bank card",
            trigger: CARD,
            run() {
                dispatchDrag(this.anchor, "dragenter", [csvFile("card.csv", "x")]);
            },
        },
        {
            content: "Drop them on the card's drop zone",
            trigger: `${CARD} .o_drop_area`,
            run() {
                const files = [
                    csvFile("card_1.csv", "Date,Label,Amount\n2025-03-01,Card drop one,10.00\n"),
                    csvFile("card_2.csv", "Date,Label,Amount\n2025-03-02,Card drop two,-2.50\n"),
                ];
                dispatchDrag(this.anchor, "dragover", files);
                dispatchDrag(this.anchor, "drop", files);
            },
        },
        {
            content: "CSV files need their column mapping: the mapping step opens",
            trigger: '.modal div[name=preview_html] td:contains("Card drop one")',
        },
        {
            content: "Import both files with that mapping (same header)",
            trigger: ".modal-footer button[name=action_import]",
            run: "click",
        },
        {
            trigger: '.o_notification:contains("2 transaction(s) imported")',
        },
        {
            trigger: '.o_list_view .o_data_row:contains("Card drop two")',
        },
        // The Bank Matching list: Upload button, then a file dropped on the list.
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button a",
            run: "click",
        },
        {
            trigger: `${CARD} a[name=open_action]`,
            run: "click",
        },
        {
            trigger: '.o_bank_matching_list .o_data_row:contains("Card drop one")',
        },
        {
            content: "The list has an Upload button",
            trigger: ".o_control_panel button[name=action_bank_matching_upload]",
            run: "click",
        },
        {
            content: "It opens the import for this journal",
            trigger: '.modal div[name=journal_id] input:value("Tour Import Bank")',
        },
        {
            trigger: ".modal-footer button.btn-secondary:contains(Cancel)",
            run: "click",
        },
        {
            content: "Drag a CAMT file over the list",
            trigger: ".o_view_controller.o_bank_matching_list",
            run() {
                dispatchDrag(this.anchor, "dragenter", [new File([CAMT], "dropped.xml")]);
            },
        },
        {
            content: "The drop zone shows; drop the file",
            trigger: ".o_bank_matching_drop_zone",
            run() {
                const view = document.querySelector(".o_view_controller.o_bank_matching_list");
                const file = new File([CAMT], "dropped_camt.xml", { type: "application/xml" });
                dispatchDrag(view, "dragover", [file]);
                dispatchDrag(view, "drop", [file]);
            },
        },
        {
            trigger: '.o_notification:contains("2 transaction(s) imported")',
        },
        {
            content: "The list shows the dropped file's transactions",
            trigger: '.o_list_view .o_data_row:contains("Dropped CAMT out")',
        },
    ],
});

// Two banks' CSV exports with other columns, given to the wizard together: one mapping
// per layout, reviewed one after the other, imported at once.
registry.category("web_tour.tours").add("account_bank_statement_import_several_layouts", {
    steps: () => [
        {
            content: "Open the bank card's menu",
            trigger: CARD,
            run: `hover && click ${CARD} .o_dropdown_kanban .dropdown-toggle`,
        },
        {
            trigger: '.o-dropdown--kanban-record-menu a:contains("Import file")',
            run: "click",
        },
        {
            content: "Give it two CSV files with other columns",
            trigger: ".modal div[name=attachment_ids] input.o_input_file:not(:visible)",
            run() {
                setInputFiles(this.anchor, [
                    csvFile("layout_a.csv", "Date,Label,Amount\n2025-05-01,Layout A one,5.00\n"),
                    csvFile(
                        "layout_b.csv",
                        "Booked;Text;Sum\n03/01/2025;Layout B one;-1,50\n04/02/2025;Layout B two;2,00\n"
                    ),
                ]);
            },
        },
        {
            trigger: '.modal div[name=attachment_ids] .o_attachment:contains("layout_b.csv")',
        },
        {
            trigger: ".modal-footer button[name=action_import]",
            run: "click",
        },
        {
            content: "The mapping step says which layout it shows",
            trigger: '.modal div[name=layout_label]:contains("Layout 1 of 2")',
        },
        {
            content: "Go to the other layout",
            trigger: ".modal button[name=action_next_layout]",
            run: "click",
        },
        {
            content: "The second layout, with its own preview",
            trigger: '.modal div[name=layout_label]:contains("Layout 2 of 2")',
        },
        {
            trigger: ".modal button[name=action_previous_layout]",
        },
        {
            content: "Find the layout of layout_b.csv",
            trigger: ".modal div[name=layout_label]",
            run() {
                if (!this.anchor.textContent.includes("layout_b.csv")) {
                    document.querySelector(".modal button[name=action_previous_layout]").click();
                }
            },
        },
        {
            trigger: '.modal div[name=layout_label]:contains("layout_b.csv")',
        },
        {
            trigger: '.modal div[name=preview_html] td:contains("Layout B one")',
        },
        {
            content: "Its dates are month first",
            trigger: ".modal div[name=map_date_format] input",
            run: "edit %m/%d/%Y",
        },
        {
            trigger: ".modal-footer button[name=action_test]",
            run: "click",
        },
        {
            content: "Test runs both layouts",
            trigger: '.modal div[name=test_result]:contains("3 transaction(s) imported")',
        },
        {
            trigger: ".modal-footer button[name=action_import]",
            run: "click",
        },
        {
            trigger: '.o_notification:contains("3 transaction(s) imported")',
        },
        {
            trigger: '.o_list_view .o_data_row:contains("Layout B two")',
        },
    ],
});
