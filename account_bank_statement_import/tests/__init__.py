from . import test_install
from . import test_bank_matching_duplicates
from . import test_bank_matching_reconcile
from . import test_bank_matching_statement
from . import test_bank_matching_view
from . import test_builder
