from . import test_install
from . import test_bank_matching_reconcile
