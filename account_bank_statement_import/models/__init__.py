from . import account_bank_statement_line
from . import account_journal
from . import account_statement_import_sheet_mapping
from . import account_bank_statement_line_builder
