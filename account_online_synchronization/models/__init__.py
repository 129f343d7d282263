from . import account_online_link
from . import account_online_account
from . import account_online_pending_transaction
from . import account_journal
from . import account_bank_statement_line
from . import account_bank_statement_line_builder
from . import account_bank_statement_line_duplicates
