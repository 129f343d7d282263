"""Lint gates of the test command: ruff on the whole tree, pylint-odoo on both addons."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ADDONS = ["account_bank_statement_import", "account_online_synchronization"]


def _run(*cmd):
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff():
    proc = _run(sys.executable, "-m", "ruff", "check", "--no-cache", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pylint_odoo_mandatory_checks():
    proc = _run(sys.executable, "-m", "pylint", "--rcfile=.pylintrc", *ADDONS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
