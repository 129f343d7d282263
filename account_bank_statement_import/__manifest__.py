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
        "views/account_journal_dashboard_views.xml",
        "views/menus.xml",
    ],
}
