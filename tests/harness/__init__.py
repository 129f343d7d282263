"""Developer harness: find Odoo 19 and PostgreSQL, keep a template database, run tests or the demo.

Stdlib only, so any ``python3`` can run it; Odoo itself runs in the Python that has Odoo's
dependencies (see :mod:`.locate`). Entry points: ``./test.sh`` and ``./run.sh`` at the repository
root, which call ``python3 -m tests.harness test|run``.
"""
