from . import account_bank_opening_balance
from . import account_bank_statement_duplicate
from . import account_bank_statement_duplicate_line
from . import account_bank_statement_line_match
from . import account_bank_statement_line_match_candidate
from . import account_bank_statement_line_set_account
from . import account_statement_import
