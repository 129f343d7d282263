#!/bin/sh
# The one run command: a local Odoo 19 on 127.0.0.1 serving the demo database.
cd "$(dirname "$0")" && exec python3 -m tests.harness run "$@"
