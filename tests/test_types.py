"""The package type-checks (mypy, configured in pyproject.toml) with nothing silenced: a
screen reaches the app, a device its config and the console its settings through declared
types, so a renamed field or a wrong argument fails here rather than on a kiosk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_type_checks(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("mypy")), "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert proc.stdout.startswith("Success: no issues found"), proc.stdout


def test_nothing_in_the_package_silences_the_checker() -> None:
    silenced = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "kiosk").rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if "type: ignore" in line
    ]
    assert silenced == []
