{
    "name": "Online Bank Synchronization",
    "summary": "Connect bank accounts through aggregators and get transactions automatically",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "AGPL-3",
    "author": "Odoo Bank Feeds contributors",
    "website": "https://github.com/odoo-bank-feeds/bank-feeds",
    "depends": ["account", "mail", "account_bank_statement_import"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/account_online_synchronization_rules.xml",
        "views/account_online_link_views.xml",
        "views/account_online_account_views.xml",
        "views/account_online_pending_transaction_views.xml",
        "views/account_journal_views.xml",
        "wizards/account_online_link_wizard_views.xml",
        "views/menus.xml",
        "data/ir_cron.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "account_online_synchronization/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "post_init_hook",
    "auto_install": ["account"],
}
