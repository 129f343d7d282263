"""Run the sandbox bank in the foreground:
``python -m account_online_synchronization.sandbox --port 8070``."""

import argparse
import logging
import signal
import sys
import threading
from datetime import date

from .data import DEMO_SECRET_ID, DEMO_SECRET_KEY
from .server import start_sandbox


def main(argv=None):
    """Parse arguments, start the server and wait for Ctrl-C / SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m account_online_synchronization.sandbox",
        description="GoCardless Bank Account Data API sandbox (local only).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8070)
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="sandbox date, YYYY-MM-DD (default: today)")
    parser.add_argument("--daily-limit", type=int, default=4,
                        help="calls per account, scope and day (0 = unlimited)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    sandbox = start_sandbox(args.host, args.port, today=args.today,
                            account_daily_limit=args.daily_limit or None)
    sys.stdout.write(f"Sandbox listening on {sandbox.url}\n"
                     f"secret_id={DEMO_SECRET_ID} secret_key={DEMO_SECRET_KEY}\n")
    sys.stdout.flush()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
