#!/usr/bin/env bash
# Set up if needed, then run the linters and the whole test suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k idcard
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check --quiet .
.venv/bin/python -m pytest -p no:cacheprovider "$@"
