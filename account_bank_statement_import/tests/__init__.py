from . import test_install
from . import test_bank_matching_duplicates
from . import test_bank_matching_reconcile
from . import test_bank_matching_statement
from . import test_bank_matching_view
from . import test_builder
from . import test_builder_fast_path
from . import test_import_wizard
