"""Local sandbox of the GoCardless Bank Account Data API (pure Python).

    from account_online_synchronization.sandbox import start_sandbox
    with start_sandbox() as sandbox:
        client = GoCardlessClient(DEMO_SECRET_ID, DEMO_SECRET_KEY,
                                  base_url=sandbox.url)

Run it for a demo: ``python -m account_online_synchronization.sandbox --port 8070``.
"""

from .data import DEMO_SECRET_ID, DEMO_SECRET_KEY, INSTITUTIONS
from .server import SandboxServer, start_sandbox

__all__ = [
    "DEMO_SECRET_ID",
    "DEMO_SECRET_KEY",
    "INSTITUTIONS",
    "SandboxServer",
    "start_sandbox",
]
