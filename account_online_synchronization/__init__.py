# Odoo loads this addon as ``odoo.addons.account_online_synchronization``; the providers and
# sandbox packages are pure Python and may also be imported on their own (tests, the demo's
# sandbox bank) as ``account_online_synchronization.providers``, without Odoo installed.
if __name__.startswith("odoo.addons."):
    from . import controllers
    from . import models
    from . import wizards
    from .hooks import post_init_hook
