#!/bin/sh
# The one test command: every test (pure + Odoo) against a copy of the template database.
# Extra arguments go to pytest (e.g. ./test.sh tests/test_parser_camt.py -k zip).
cd "$(dirname "$0")" && exec python3 -m tests.harness test "$@"
