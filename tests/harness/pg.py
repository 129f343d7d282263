"""PostgreSQL for tests and the demo: a reachable server, or a private cluster we start.

If the standard libpq variables point at a server (``PGHOST`` set and ``pg_isready`` answers),
it is used as is. Otherwise a private cluster lives in the cache folder: created once with
``initdb``, listening only on a unix socket in that folder (no TCP), started on demand and
stopped when the last harness process using it exits (several test runs may share it).
"""

import contextlib
import fcntl
import getpass
import glob
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

ROLE = "odoo"  # Odoo refuses to connect as "postgres"


def _bindir():
    found = shutil.which("pg_ctl")
    if found and (Path(found).resolve().parent / "initdb").exists():
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if not versions:
        raise RuntimeError(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them "
            "(Debian/Ubuntu: apt-get install postgresql) or point PGHOST/PGPORT/PGUSER at a "
            "running server."
        )
    return Path(versions[-1]).parent


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Server:
    """Connection facts for Odoo (``db_host``, ``db_port``, ``db_user``) and libpq tools."""

    def __init__(self, host, port, user, password=None):
        self.host = host
        self.port = str(port)
        self.user = user
        self.password = password

    def odoo_options(self):
        """Options for an Odoo configuration file."""
        opts = {"db_host": self.host, "db_port": self.port, "db_user": self.user}
        if self.password:
            opts["db_password"] = self.password
        return opts

    def env(self):
        """Environment for psql/createdb/dropdb."""
        env = dict(os.environ, PGHOST=self.host, PGPORT=self.port, PGUSER=self.user)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def psql(self, sql, dbname="postgres"):
        """Run one SQL statement, return its unaligned output."""
        proc = subprocess.run(
            [str(_bindir() / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-d", dbname, "-c", sql],
            env=self.env(), capture_output=True, text=True, check=False,
        )
        if proc.returncode:
            raise RuntimeError(f"psql failed: {sql}\n{proc.stderr}")
        return proc.stdout.strip()

    def database_exists(self, name):
        """True if the database exists."""
        return bool(self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))


class PrivateCluster:
    """A cluster in ``folder``, owned by the current user (or ``postgres`` when run as root)."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.data = self.folder / "data"
        self.socket_dir = self.folder / "run"
        self.users_dir = self.folder / "users"
        self.lock_path = self.folder / "lock"
        self.bindir = _bindir()
        self.as_root = os.geteuid() == 0
        self.owner = "postgres" if self.as_root else getpass.getuser()

    def _run(self, *cmd, check=True):
        if self.as_root:
            cmd = ("runuser", "-u", self.owner, "--", *cmd)
        return subprocess.run(cmd, capture_output=True, text=True, check=check)

    @contextlib.contextmanager
    def _locked(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _chown(self, path):
        if self.as_root:
            info = pwd.getpwnam(self.owner)
            os.chown(path, info.pw_uid, info.pw_gid)

    def _init(self):
        for path in (self.folder, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            self._chown(path)
        if self.as_root:
            # postgres must be able to reach the folder through its parents
            parent = self.folder
            while parent != parent.parent:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
                parent = parent.parent
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "-U", "postgres")

    def _running(self):
        return self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "status",
                         check=False).returncode == 0

    def _start(self):
        options = (f"-k {self.socket_dir} -c listen_addresses='' -F "
                   "-c full_page_writes=off -c max_connections=100")
        proc = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w",
                         "-l", str(self.folder / "postgresql.log"), "-o", options, "start",
                         check=False)
        if proc.returncode:
            log = (self.folder / "postgresql.log")
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start:\n{proc.stdout}{proc.stderr}{tail}")

    def _stop(self):
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop",
                  check=False)

    def acquire(self):
        """Start the cluster if needed and register this process as a user of it."""
        with self._locked():
            if not (self.data / "PG_VERSION").exists():
                if self.data.exists():
                    shutil.rmtree(self.data)
                self._init()
            if not self._running():
                self._start()
            self.users_dir.mkdir(exist_ok=True)
            (self.users_dir / str(os.getpid())).touch()
        server = Server(str(self.socket_dir), 5432, "postgres")
        for _attempt in range(50):
            if subprocess.run([str(self.bindir / "pg_isready"), "-q"], env=server.env(),
                              check=False).returncode == 0:
                break
            time.sleep(0.1)
        if not server.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}'"):
            server.psql(f"CREATE ROLE {ROLE} LOGIN SUPERUSER")
        return Server(str(self.socket_dir), 5432, ROLE)

    def release(self):
        """Unregister this process; stop the cluster when no live process uses it."""
        with self._locked():
            (self.users_dir / str(os.getpid())).unlink(missing_ok=True)
            others = [p for p in self.users_dir.iterdir() if p.name.isdigit()]
            live = []
            for marker in others:
                if _alive(int(marker.name)):
                    live.append(marker)
                else:
                    marker.unlink(missing_ok=True)
            if not live:
                self._stop()


@contextlib.contextmanager
def postgres(cache_dir):
    """Yield a :class:`Server`: the one libpq's variables name, or a private cluster."""
    if os.environ.get("PGHOST"):
        server = Server(os.environ["PGHOST"], os.environ.get("PGPORT", "5432"),
                        os.environ.get("PGUSER", getpass.getuser()),
                        os.environ.get("PGPASSWORD"))
        ready = subprocess.run([str(_bindir() / "pg_isready"), "-q"], env=server.env(),
                               check=False)
        if ready.returncode == 0:
            yield server
            return
        print(f"[harness] PGHOST={server.host} does not answer; using a private cluster")
    cluster = PrivateCluster(Path(cache_dir) / "pg")
    server = cluster.acquire()
    try:
        yield server
    finally:
        cluster.release()
