"""Find the Odoo 19 installation and the Python interpreter that runs it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

DEFAULT_ODOO_PATH = Path("/opt/odoo19")

HELP = """\
Odoo 19.0 was not found.

This project needs an existing Odoo 19.0 (Community) source tree or installation:
  * set ODOO_PATH to an Odoo 19.0 source tree (the folder holding odoo-bin), or put it at
    the default place, {default};
  * its Python dependencies must be installed in a virtualenv at $ODOO_PATH/.venv, or in the
    interpreter named by ODOO_PYTHON, or in the python3 running this script
    (pip install -r $ODOO_PATH/requirements.txt);
  * or install Odoo 19 as a package so that `python3 -c "import odoo"` works.
Details: {details}
"""


class OdooNotFound(RuntimeError):
    """No usable Odoo 19 was found; the message says what to install."""


def _probe(python, odoo_path):
    """Return Odoo's version tuple as seen by ``python`` (with odoo_path on sys.path)."""
    env = dict(os.environ)
    if odoo_path:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(odoo_path), env.get("PYTHONPATH", "")) if p
        )
    code = (
        "import odoo.release as r, os, odoo;"
        "print(r.version_info[0], r.version_info[1]);"
        "print(os.path.dirname(os.path.dirname(r.__file__)))"
    )
    proc = subprocess.run(
        [python, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode:
        return None, proc.stderr.strip().splitlines()[-1:] or ["import failed"]
    lines = proc.stdout.split()
    return (int(lines[0]), int(lines[1]), lines[2]), None


class Odoo:
    """A located Odoo 19: its source root, python, and addons folders."""

    def __init__(self, root, python):
        self.root = Path(root)
        self.python = python

    @property
    def odoo_bin(self):
        """Command list that starts Odoo's CLI with the right interpreter."""
        script = self.root / "odoo-bin"
        if script.exists():
            return [self.python, str(script)]
        return [self.python, "-m", "odoo"]

    @property
    def addons_paths(self):
        """Odoo's own addons folders (``addons`` and ``odoo/addons``)."""
        paths = [self.root / "odoo" / "addons"]
        if (self.root / "addons").is_dir():
            paths.insert(0, self.root / "addons")
        return [p for p in paths if p.is_dir()]

    def env(self, extra_paths=()):
        """Environment in which ``self.python`` imports this Odoo first."""
        env = dict(os.environ)
        parts = [str(self.root), *map(str, extra_paths)]
        if env.get("PYTHONPATH"):
            parts.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(parts)
        return env


def find_odoo():
    """Locate Odoo 19 following ODOO_PATH, the default place, then an importable ``odoo``."""
    candidates_root = []
    if os.environ.get("ODOO_PATH"):
        candidates_root.append(Path(os.environ["ODOO_PATH"]))
    elif DEFAULT_ODOO_PATH.is_dir():
        candidates_root.append(DEFAULT_ODOO_PATH)
    pythons = []
    if os.environ.get("ODOO_PYTHON"):
        pythons.append(os.environ["ODOO_PYTHON"])
    for root in candidates_root:
        for venv in (".venv", "venv"):
            py = root / venv / "bin" / "python"
            if py.exists():
                pythons.append(str(py))
    pythons += [sys.executable, shutil.which("python3") or "python3"]
    details = []
    roots = candidates_root or [None]
    for root in roots:
        for python in dict.fromkeys(pythons):
            found, error = _probe(python, root)
            if not found:
                details.append(f"{python} with {root or 'sys.path'}: {error[0]}")
                continue
            major, _minor, source = found
            if major != 19:
                details.append(f"{python}: found Odoo {major}, need 19.0")
                continue
            return Odoo(root or Path(source), python)
    raise OdooNotFound(
        HELP.format(default=DEFAULT_ODOO_PATH, details="; ".join(details) or "none")
    )
