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
    regions.english_name("440106")   -> "Tianhe District"  (for the English screens)
    regions.short_name("450000")     -> "广西"  (a province as pickers list it: 简称)

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


# English names: the provinces as they are officially given in English; below them, the
# pinyin of the name (GB/T 16159 word joining, 'an after a syllable: Xi'an) and the kind of
# division in English; an autonomous division's peoples are left out of its short name.
_PROVINCES_EN = {
    "11": "Beijing", "12": "Tianjin", "13": "Hebei", "14": "Shanxi",
    "15": "Inner Mongolia Autonomous Region", "21": "Liaoning", "22": "Jilin",
    "23": "Heilongjiang", "31": "Shanghai", "32": "Jiangsu", "33": "Zhejiang", "34": "Anhui",
    "35": "Fujian", "36": "Jiangxi", "37": "Shandong", "41": "Henan", "42": "Hubei",
    "43": "Hunan", "44": "Guangdong", "45": "Guangxi Zhuang Autonomous Region", "46": "Hainan",
    "50": "Chongqing", "51": "Sichuan", "52": "Guizhou", "53": "Yunnan",
    "54": "Xizang Autonomous Region", "61": "Shaanxi", "62": "Gansu", "63": "Qinghai",
    "64": "Ningxia Hui Autonomous Region", "65": "Xinjiang Uygur Autonomous Region",
    "71": "Taiwan", "81": "Hong Kong SAR", "82": "Macao SAR",
}  # fmt: skip
_KINDS_EN = (
    ("自治州", " Autonomous Prefecture"), ("自治县", " Autonomous County"),
    ("自治旗", " Autonomous Banner"), ("林区", " Forestry District"), ("地区", " Prefecture"),
    ("新区", " New Area"), ("矿区", " Mining District"), ("市", ""), ("区", " District"),
    ("县", " County"), ("旗", " Banner"), ("盟", " League"),
)  # fmt: skip
_PEOPLES_TEXT = (
    "蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 "
    "哈萨克族 傣族 黎族 傈僳族 佤族 畲族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 "
    "达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 "
    "乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 鄂伦春族 "
    "赫哲族 门巴族 珞巴族 基诺族 各族 蒙古 柯尔克孜 哈萨克 维吾尔"
)
_PEOPLES = tuple(_PEOPLES_TEXT.split())  # the peoples named in autonomous divisions


def english_name(code: str) -> str:
    """How an English screen names a division: Guangdong, Tianhe District, Xi'an."""
    region = get(code)
    if region is None:
        return ""
    if region.level == "province":
        return _PROVINCES_EN.get(code[:2], region.name)
    stem, kind = region.name, ""
    for suffix, english in _KINDS_EN:
        if stem.endswith(suffix) and len(stem) > len(suffix) + 1:
            stem, kind = stem[: -len(suffix)], english
            break
    if "Autonomous" in kind:
        for people in sorted(_PEOPLES, key=len, reverse=True):
            while len(stem) > len(people) and people in stem[1:]:
                stem = stem[: stem.rindex(people)] + stem[stem.rindex(people) + len(people) :]
    from kiosk.pinyin import spell

    syllables = [r[0] for r in spell(stem)]
    joined = "".join(("'" + s if i and s[:1] in "aoe" else s) for i, s in enumerate(syllables))
    return joined[:1].upper() + joined[1:] + kind


def short_name(code: str, language: str = "zh-Hans") -> str:
    """A province as a list of provinces names it (广西, 内蒙古, 香港; Guangxi, Hong Kong);
    any other division by its full name."""
    region = get(code)
    if region is None:
        return ""
    if language == "en":
        name = english_name(code)
        if region.level == "province":
            for tail in (" Autonomous Region", " SAR", " Zhuang", " Hui", " Uygur"):
                name = name.replace(tail, "")
        return name
    if region.level != "province":
        return region.name
    name = region.name
    for tail in ("特别行政区", "自治区", "省", "市", "壮族", "回族", "维吾尔"):
        name = name.removesuffix(tail)
    return name
