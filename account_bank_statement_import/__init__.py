# Odoo loads this addon as ``odoo.addons.account_bank_statement_import``; the parsers
# package is pure Python and may also be imported on its own (tests, command line) as
# ``account_bank_statement_import.parsers``, without Odoo installed.
if __name__.startswith("odoo.addons."):
    from . import models
    from . import wizards
