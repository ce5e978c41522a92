"""China's administrative divisions by GB/T 2260 code: province → prefecture → county.

Headless (no Textual): used by the region picker and by the validators.

    from kiosk import regions
    regions.provinces()              -> list[Region]       # 34, in code order
    regions.children("440000")       -> list[Region]       # 广州市 … 中山市 (prefectures)
    regions.children("110000")       -> list[Region]       # 东城区 … (municipality: counties)
    regions.get("440106")            -> Region | None      # 天河区, level "county"
    regions.path("440106")           -> [广东省, 广州市, 天河区]
    regions.full_name("440106")      -> "广东省广州市天河区"
    regions.chosen_down_to("110000", "city") -> True  # a municipality is its own city

The shipped table (kiosk/regions_gb2260.json, from scripts/make_regions.py) lists names by
six-digit code; the tree follows from the code itself: XX0000 is a province, XXYY00 a
prefecture, anything else a county-level division under its prefecture or, when there is no
prefecture (the four municipalities, 省直辖县级行政区划 such as 济源市 419001), under the
province directly. Prefectures without counties (东莞市, 中山市, 儋州市, 嘉峪关市) and
香港 / 澳门 / 台湾 have no children: choosing them completes the choice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

Level = Literal["province", "city", "county"]
_DATA = Path(__file__).with_name("regions_gb2260.json")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: Level

    @property
    def parent_code(self) -> str | None:
        return _parents().get(self.code)


def _level(code: str) -> Level:
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


@cache
def _table() -> dict[str, str]:
    table: dict[str, str] = json.loads(_DATA.read_text(encoding="utf-8"))
    return table


@cache
def _parents() -> dict[str, str]:
    table, parents = _table(), {}
    for code in table:
        if _level(code) == "city":
            parents[code] = code[:2] + "0000"
        elif _level(code) == "county":
            city = code[:4] + "00"
            parents[code] = city if city in table else code[:2] + "0000"
    return parents


@cache
def _children() -> dict[str, tuple[Region, ...]]:
    kids: dict[str, list[Region]] = {}
    for code, parent in _parents().items():
        kids.setdefault(parent, []).append(Region(code, _table()[code], _level(code)))
    return {parent: tuple(sorted(r, key=lambda x: x.code)) for parent, r in kids.items()}


def provinces() -> list[Region]:
    return [Region(c, n, "province") for c, n in _table().items() if _level(c) == "province"]


def children(code: str) -> list[Region]:
    """The divisions directly under `code` (empty for a county or a division without any)."""
    return list(_children().get(code, ()))


def get(code: str) -> Region | None:
    name = _table().get(code)
    return None if name is None else Region(code, name, _level(code))


def path(code: str) -> list[Region]:
    """From the province down to `code`; empty for an unknown code."""
    chain: list[Region] = []
    current: str | None = code
    while current is not None and (region := get(current)) is not None:
        chain.insert(0, region)
        current = region.parent_code
    return chain


def chosen_down_to(code: str, level: Level) -> bool:
    """Whether choosing `code` answers a question asked down to `level`: it is that deep, or
    nothing lies below it, or (asked for a city) it is one of the four municipalities."""
    region = get(code)
    if region is None:
        return False
    depth = ("province", "city", "county")
    if depth.index(region.level) >= depth.index(level):
        return True
    below = children(code)
    return not below or (level == "city" and all(r.level == "county" for r in below))


def full_name(code: str) -> str:
    return "".join(r.name for r in path(code))
