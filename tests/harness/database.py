"""Template database (both addons installed, built once per code version) and its copies."""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ADDONS = ("account_bank_statement_import", "account_online_synchronization")
# Bump when the way the template is built changes.
TEMPLATE_RECIPE = "1"
# Pure-Python packages of the addons: they define no model, view or data, so a change
# there does not change what installing the addons produces.
PURE_PACKAGES = ("parsers", "providers", "sandbox")
# Log lines that mean an install is not clean.
BAD_LOG = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")


def cache_dir():
    """The harness' cache folder (private cluster, filestores, config files)."""
    if os.environ.get("BANKFEEDS_CACHE"):
        path = Path(os.environ["BANKFEEDS_CACHE"])
    elif os.geteuid() == 0:
        path = Path("/var/cache/odoo-bankfeeds")
    else:
        path = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "odoo-bankfeeds"
    path.mkdir(parents=True, exist_ok=True)
    return path


def code_hash(odoo):
    """Hash of everything that changes what installing the addons produces."""
    digest = hashlib.sha256(TEMPLATE_RECIPE.encode())
    digest.update(str(odoo.root.resolve()).encode())
    release = odoo.root / "odoo" / "release.py"
    if release.exists():
        digest.update(release.read_bytes())
    for addon in ADDONS:
        base = REPO / addon
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if (path.is_dir() or path.suffix in (".pyc", ".pyo")
                    or rel.parts[0] in ("tests", *PURE_PACKAGES)
                    or "__pycache__" in rel.parts
                    or "tests" in rel.parts[:3] and rel.parts[0] == "static"):
                continue
            digest.update(str(rel).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def write_config(odoo, server, db_name, extra=None):
    """Write an Odoo configuration file for ``db_name`` and return its path."""
    cache = cache_dir()
    addons_path = ",".join([*map(str, odoo.addons_paths), str(REPO)])
    options = {
        "addons_path": addons_path,
        "data_dir": str(cache / "data"),
        "db_name": db_name,
        "dbfilter": f"^{db_name}$",
        "list_db": "False",
        "http_interface": "127.0.0.1",
        "gevent_port": "0",
        "admin_passwd": "admin",
        "log_handler": ":INFO",
        "max_cron_threads": "0",
        **server.odoo_options(),
        **(extra or {}),
    }
    path = cache / "conf" / f"{db_name}.conf"
    path.parent.mkdir(exist_ok=True)
    path.write_text("[options]\n" + "".join(f"{k} = {v}\n" for k, v in options.items()))
    return path


def filestore(db_name):
    """The filestore folder Odoo uses for ``db_name``."""
    return cache_dir() / "data" / "filestore" / db_name


def _drop(server, name):
    server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(filestore(name), ignore_errors=True)


def ensure_template(odoo, server, log=print):
    """Return the name of an up-to-date template database, building it if needed.

    The install runs in a scratch database that is renamed only when the install finished
    without any WARNING/ERROR line in Odoo's log, so a broken build never becomes a template.
    """
    name = f"bankfeeds_tpl_{code_hash(odoo)}"
    used = cache_dir() / "templates"
    used.mkdir(exist_ok=True)
    if server.database_exists(name):
        (used / name).touch()
        return name
    scratch = f"bankfeeds_build_{os.getpid()}"
    _drop(server, scratch)
    conf = write_config(odoo, server, scratch)
    modules = ",".join(("account", *ADDONS))
    log(f"[harness] building template database {name} (installs {modules}, ~1 min)")
    cmd = [*odoo.odoo_bin, "-c", str(conf), "-d", scratch, "-i", modules,
           "--stop-after-init", "--no-http"]
    proc = subprocess.run(cmd, env=odoo.env(), capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    (cache_dir() / "last-template-build.log").write_text(output)
    bad = [line for line in output.splitlines() if BAD_LOG.match(line)]
    if proc.returncode or bad:
        _drop(server, scratch)
        sys.stderr.write(output[-6000:] if proc.returncode else "")
        raise SystemExit(
            "[harness] installing the addons was not clean (exit code "
            f"{proc.returncode}); warnings/errors in Odoo's log:\n  "
            + "\n  ".join(bad[:40])
            + f"\nFull log: {cache_dir() / 'last-template-build.log'}"
        )
    server.psql(f'ALTER DATABASE "{scratch}" RENAME TO "{name}"')
    if filestore(scratch).exists():
        filestore(scratch).rename(filestore(name))
    (used / name).touch()
    _drop_stale_templates(server, used)
    return name


def _drop_stale_templates(server, used):
    """Drop templates no run used for a day (other checkouts may still use recent ones)."""
    limit = time.time() - 24 * 3600
    for old in server.psql(
        "SELECT datname FROM pg_database WHERE datname LIKE 'bankfeeds_tpl_%'"
    ).split():
        marker = used / old
        if marker.exists() and marker.stat().st_mtime > limit:
            continue
        try:
            _drop(server, old)
            marker.unlink(missing_ok=True)
        except RuntimeError:
            pass  # in use by a concurrent run: a later build drops it


def clone(server, template, name):
    """Create ``name`` as a copy of ``template`` (database and filestore)."""
    _drop(server, name)
    server.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    if filestore(template).exists():
        shutil.copytree(filestore(template), filestore(name))


def drop(server, name):
    """Drop a database and its filestore."""
    _drop(server, name)
