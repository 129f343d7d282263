from . import test_install
from . import test_builder
from . import test_builder_fast_path
from . import test_import_wizard
