"""The layers hold: screens -> journey core -> devices / outbox / platform client, nothing
imports upward, the headless parts never load Textual, and a screen never imports another
screen or a command module (contracts in pyproject.toml, checked by import-linter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "5 kept, 0 broken" in proc.stdout


def test_the_journey_core_runs_without_textual() -> None:
    probe = (
        "import sys, kiosk.resident.actions, kiosk.resident.steps, kiosk.resident.forms,"
        " kiosk.resident.receipts, kiosk.catalog, kiosk.services;"
        " print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
