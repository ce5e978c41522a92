"""kiosk/devices and kiosk/offline never import Textual (nor Rich), so they stay usable
from `kiosk diag` over SSH and testable without a screen (as harlequin enforces)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import kiosk

PACKAGES = ("kiosk.devices", "kiosk.offline")
PROBE = """
import importlib, json, pkgutil, sys
names = []
for package in {packages!r}:
    module = importlib.import_module(package)
    names.append(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        importlib.import_module(info.name)
        names.append(info.name)
print(json.dumps({{"imported": names, "ui": sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))}}))
"""


def test_devices_and_offline_never_import_textual() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(packages=PACKAGES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ui"] == [], f"UI modules pulled in: {result['ui']}"
    # the probe really walked the packages (adapters and the outbox are in there)
    root = Path(kiosk.__file__).parent
    on_disk = {
        f"{pkg}.{info.name}"
        for pkg in PACKAGES
        for info in pkgutil.iter_modules([str(root / pkg.split(".")[1])])
    }
    assert on_disk <= set(result["imported"])
    assert "kiosk.devices.base" in result["imported"]
