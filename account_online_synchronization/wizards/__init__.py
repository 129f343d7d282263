from . import account_online_link_wizard
from . import account_online_institution_result
from . import account_online_account_selection
from . import account_online_account_selection_line
from . import account_online_link_reactivate
