"""``python3 -m tests.harness test [pytest args]`` and ``python3 -m tests.harness run``."""

import argparse
import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.request

from . import database, locate, pg

REPO = database.REPO
DEFAULT_TEST_PATHS = ["tests", *database.ADDONS]


def log(message):
    """Print a harness message right away (our output interleaves with children's)."""
    print(message, flush=True)


def ensure_requirements(odoo):
    """Install requirements.txt into Odoo's interpreter once per version of that file."""
    req = REPO / "requirements.txt"
    stamp_key = hashlib.sha256(req.read_bytes() + odoo.python.encode()).hexdigest()[:16]
    stamp = database.cache_dir() / f"requirements-{stamp_key}.ok"
    if stamp.exists():
        return
    log(f"[harness] installing requirements.txt into {odoo.python}")
    proc = subprocess.run(
        [odoo.python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-r", str(req)], check=False,
    )
    if proc.returncode:
        raise SystemExit("[harness] pip could not install requirements.txt (see above)")
    stamp.touch()


def cmd_test(args, pytest_args):
    """Run every test (pure and Odoo) in a fresh copy of the template database."""
    odoo = locate.find_odoo()
    log(f"[harness] Odoo 19 at {odoo.root} (python {odoo.python})")
    ensure_requirements(odoo)
    strict = not pytest_args
    pytest_args = pytest_args or DEFAULT_TEST_PATHS
    with pg.postgres(database.cache_dir()) as server:
        template = database.ensure_template(odoo, server, log=log)
        db_name = f"bankfeeds_test_{os.getpid()}"
        database.clone(server, template, db_name)
        conf = database.write_config(odoo, server, db_name)
        cmd = [
            odoo.python, "-m", "pytest", "-p", "tests.harness.pytest_plugin",
            f"--odoo-config={conf}", f"--odoo-database={db_name}", "--odoo-http",
            "--odoo-log-level=info",
            *(["--bankfeeds-strict"] if strict else []),
            *pytest_args,
        ]
        try:
            proc = subprocess.run(cmd, cwd=REPO, env=odoo.env([REPO]), check=False)
        finally:
            if not args.keep:
                database.drop(server, db_name)
            else:
                log(f"[harness] kept database {db_name}")
    return proc.returncode


def demo_database(odoo, server, template):
    """Create (or refresh, when the code changed) the demo database; return its name."""
    name = "bankfeeds_demo"
    marker = database.cache_dir() / "demo-template.txt"
    fresh = server.database_exists(name) and marker.exists() and \
        marker.read_text() == template
    if fresh:
        return name
    log(f"[harness] creating demo database {name}")
    database.clone(server, template, name)
    run_demo_setup(odoo, server, name)
    marker.write_text(template)
    return name


def run_demo_setup(odoo, server, name, extra_env=None):
    """Run demo_setup.py in ``odoo-bin shell`` on the demo database; return its output."""
    conf = database.write_config(odoo, server, name)
    script = (REPO / "tests" / "harness" / "demo_setup.py").read_text()
    env = {**odoo.env([REPO]), **(extra_env or {})}
    proc = subprocess.run(
        [*odoo.odoo_bin, "shell", "-c", str(conf), "-d", name, "--no-http",
         "--log-level=warn"],
        input=script, text=True, env=env, capture_output=True, check=False,
    )
    if proc.returncode or "Traceback" in proc.stdout + proc.stderr:
        raise SystemExit(f"[harness] demo setup failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def free_port():
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(odoo):
    """Start the sandbox bank (``python -m account_online_synchronization.sandbox``)
    beside Odoo; return ``(process, url)`` once it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [odoo.python, "-m", "account_online_synchronization.sandbox", "--port", str(port)],
        cwd=REPO, env=odoo.env([REPO]), stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if proc.poll() is not None:
            raise SystemExit("[harness] the sandbox bank exited at start")
        try:
            with urllib.request.urlopen(f"{url}/", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("[harness] the sandbox bank did not answer")


def stop(proc):
    """Terminate a child process we started, then kill it if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def cmd_run(args):
    """Serve the demo database on 127.0.0.1 until interrupted."""
    odoo = locate.find_odoo()
    ensure_requirements(odoo)
    with pg.postgres(database.cache_dir()) as server:
        template = database.ensure_template(odoo, server, log=log)
        name = demo_database(odoo, server, template)
        url = f"http://127.0.0.1:{args.port}"
        sandbox, sandbox_url = start_sandbox(odoo)
        try:
            log(f"[harness] sandbox bank at {sandbox_url}; connecting the demo bank account")
            output = run_demo_setup(odoo, server, name, {
                "BANKFEEDS_SANDBOX_URL": sandbox_url, "BANKFEEDS_URL": url,
            })
            log("".join(f"[harness] {line}\n" for line in output.splitlines()
                        if line.startswith("demo ")).rstrip())
            return serve(odoo, server, name, args, url)
        finally:
            stop(sandbox)


def serve(odoo, server, name, args, url):
    """Run Odoo on the demo database until interrupted (or once checked)."""
    conf = database.write_config(odoo, server, name, {
        "http_port": str(args.port), "log_level": "info",
    })
    proc = subprocess.Popen(
        [*odoo.odoo_bin, "-c", str(conf), "-d", name], env=odoo.env([REPO]),
    )
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/web/login", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
            if proc.poll() is not None:
                raise SystemExit("[harness] Odoo exited before it served the demo")
        log("")
        log(f"  Demo is up: {url}/web/login")
        log("  Login: admin   Password: admin   (Ctrl-C to stop)")
        log("  Online synchronization: Accounting dashboard > Demo Bank > Synchronize Now")
        log("")
        if args.check:
            return 0
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(proc)


def main(argv=None):
    """Parse the command line and dispatch."""
    parser = argparse.ArgumentParser(prog="python3 -m tests.harness")
    sub = parser.add_subparsers(dest="command", required=True)
    test = sub.add_parser("test", help="run all tests; extra arguments go to pytest")
    test.add_argument("--keep", action="store_true", help="keep the test database")
    run = sub.add_parser("run", help="serve the demo database")
    run.add_argument("--port", type=int, default=int(os.environ.get("BANKFEEDS_PORT", 8069)))
    run.add_argument("--check", action="store_true",
                     help="start, check that /web/login answers, then stop")
    args, rest = parser.parse_known_args(argv)
    try:
        if args.command == "test":
            return cmd_test(args, rest)
        if rest:
            parser.error(f"unknown arguments: {' '.join(rest)}")
        return cmd_run(args)
    except locate.OdooNotFound as error:
        sys.stderr.write(str(error))
        return 2


if __name__ == "__main__":
    sys.exit(main())
