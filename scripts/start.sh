#!/usr/bin/env bash
# Set up if needed, then start the kiosk (embedded defaults unless --config or $KIOSK_CONFIG).
# Extra arguments go to `kiosk`, e.g. scripts/start.sh --config config/kiosk.toml
set -euo pipefail
cd "$(dirname "$0")/.."
if ! bash scripts/setup.sh; then
  # A terminal that worked yesterday keeps working when an update cannot install today
  # (no network at a village service point): start what is installed, and say so.
  [[ -x .venv/bin/kiosk ]] || { echo "start: set-up failed and no kiosk is installed" >&2; exit 1; }
  echo "start: set-up failed; starting the kiosk already installed in .venv" >&2
fi
exec .venv/bin/kiosk "$@"
