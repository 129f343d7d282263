"""The README's run command serves the demo database: /web/login answers 200."""

import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_command_serves_demo_login_page():
    port = _free_port()
    proc = subprocess.run(
        [sys.executable, "-m", "tests.harness", "run", "--check", "--port", str(port)],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert f"Demo is up: http://127.0.0.1:{port}/web/login" in output
    assert '"GET /web/login HTTP/1.1" 200' in output
