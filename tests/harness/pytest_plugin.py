"""pytest plugin loaded by the test command: Odoo log hygiene and a strict full run.

- Any WARNING/ERROR that Odoo logs during a test (and that the test did not expect through
  ``assertLogs``) fails that test; outside of tests (registry loading, class setup), it fails
  the session.
- With ``--bankfeeds-strict`` (the full run), a skipped test fails the session, and so does a
  run in which either addon had no Odoo test executed.
"""

import logging

import pytest

ADDONS = ("account_bank_statement_import", "account_online_synchronization")


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


_collector = _Collector()
_outside = []
_odoo_tests = dict.fromkeys(ADDONS, 0)
_skipped = []


def pytest_addoption(parser):
    """Register ``--bankfeeds-strict``."""
    parser.addoption("--bankfeeds-strict", action="store_true",
                     help="fail on skipped tests and when an addon ran no Odoo test")


def pytest_configure(config):
    """Start collecting Odoo's warnings."""
    logging.getLogger("odoo").addHandler(_collector)


def _format(records):
    return "\n".join(f"{r.levelname} {r.name}: {r.getMessage()}" for r in records)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Attribute Odoo log records to the test that produced them."""
    _outside.extend(_collector.records)
    _collector.records.clear()
    yield


@pytest.fixture(autouse=True)
def _odoo_log_is_clean(request):
    """Fail the test if Odoo logged a warning or an error while it ran."""
    yield
    records = list(_collector.records)
    _collector.records.clear()
    if records:
        pytest.fail("Odoo logged warnings/errors during the test:\n" + _format(records),
                    pytrace=False)


def pytest_runtest_logreport(report):
    """Count Odoo tests per addon and remember skips."""
    if report.skipped:
        _skipped.append(report.nodeid)
    if report.when == "call" and report.passed or report.failed and report.when == "call":
        for addon in ADDONS:
            if report.nodeid.startswith(f"{addon}/tests/"):
                _odoo_tests[addon] += 1


def pytest_sessionfinish(session, exitstatus):
    """Apply the session-level checks."""
    _outside.extend(_collector.records)
    _collector.records.clear()
    problems = []
    if _outside:
        problems.append("Odoo logged warnings/errors outside tests:\n" + _format(_outside))
    if session.config.getoption("--bankfeeds-strict"):
        if _skipped:
            problems.append("skipped tests (a skipped check is a defect):\n  "
                            + "\n  ".join(_skipped))
        for addon, count in _odoo_tests.items():
            if not count:
                problems.append(f"no Odoo test of {addon} was executed")
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for problem in problems:
            if reporter:
                reporter.write_line(f"[bankfeeds] {problem}", red=True)
        session.exitstatus = 1
