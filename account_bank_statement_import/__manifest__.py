{
    "name": "Bank Statement Import",
    "summary": "Import bank statements: CAMT.052/053/054, OFX, QIF, CODA, MT940, CSV, XLSX",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "AGPL-3",
    "author": "Odoo Bank Feeds contributors",
    "website": "https://github.com/odoo-bank-feeds/bank-feeds",
    "depends": ["account"],
    "external_dependencies": {"python": ["lxml", "openpyxl"]},
    "data": [
        "security/ir.model.access.csv",
        "security/account_statement_import_rules.xml",
        "views/account_statement_import_sheet_mapping_views.xml",
        "views/account_statement_import_views.xml",
        "views/account_bank_statement_line_views.xml",
        "views/account_bank_statement_views.xml",
        "views/account_journal_dashboard_views.xml",
        "wizards/account_bank_statement_line_set_account_views.xml",
        "wizards/account_bank_statement_line_match_views.xml",
        "wizards/account_bank_statement_duplicate_views.xml",
        "wizards/account_bank_opening_balance_views.xml",
        "report/report_statement.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "account_bank_statement_import/static/src/bank_matching/**/*",
        ],
        "web.assets_tests": [
            "account_bank_statement_import/static/tests/tours/**/*",
        ],
    },
}
