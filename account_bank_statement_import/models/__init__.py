from . import account_bank_statement
from . import account_bank_statement_line
from . import account_bank_statement_line_builder
from . import account_journal
from . import account_statement_import_sheet_mapping
from . import ir_actions_report
