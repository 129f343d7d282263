from . import test_install
from . import test_connection
from . import test_migration
from . import test_security
from . import test_sync
from . import test_callback
from . import test_duplicates
from . import test_translation
