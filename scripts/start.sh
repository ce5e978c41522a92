#!/usr/bin/env bash
# Set up if needed, then start the kiosk (embedded defaults unless --config or $KIOSK_CONFIG).
# Extra arguments go to `kiosk`, e.g. scripts/start.sh --config config/kiosk.toml
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/kiosk "$@"
