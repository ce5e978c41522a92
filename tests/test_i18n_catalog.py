"""Three languages all the way down: locale files, the catalog as shipped and as the terminal
receives it from the platform, and every service's texts in each language."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import kiosk.i18n as i18n
from kiosk.catalog import CatalogStore
from kiosk.hant import VARIANTS, Variant, needs_conversion, to_hant
from kiosk.platform.client import PlatformClient
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.resident.service import Category, Language, Service

LOCALES = Path(i18n.__file__).parent / "locales"
CATALOG = json.loads(
    (Path(i18n.__file__).parent / "platform" / "data" / "catalog.json").read_text("utf-8")
)
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _toml(language: str) -> dict[str, str]:
    with open(LOCALES / f"{language}.toml", "rb") as f:
        return tomllib.load(f)


@pytest.fixture
def hk() -> Iterator[None]:
    i18n.configure("zh-HK")
    yield
    i18n.configure("zh-TW")


@pytest.fixture(params=VARIANTS)
def variant(request: pytest.FixtureRequest) -> Iterator[Variant]:
    i18n.configure(request.param)
    yield request.param
    i18n.configure("zh-TW")


def _texts(raw: dict[str, object], language: Language) -> list[str]:
    service = Service.from_json(raw)
    g = service.guide_in(language)
    out = [service.name(language), *g.conditions, *g.materials, g.time_limit, g.fee, g.collection]
    for field in service.form:
        out.append(field.label(language))
        out.extend(option.label(language) for option in field.options)
    return out


def test_every_key_is_in_all_three_languages_with_the_same_placeholders() -> None:
    files = {language: _toml(language) for language in i18n.LANGUAGES}
    keys = set(files["zh-Hans"])
    for language, texts in files.items():
        assert set(texts) == keys, (
            f"{language}: missing {keys - set(texts)}, extra {set(texts) - keys}"
        )
        for key, text in texts.items():
            assert text.strip(), f"{language} {key} is empty"
            want = set(re.findall(r"{(\w+)}", files["zh-Hans"][key]))
            assert set(re.findall(r"{(\w+)}", text)) == want, f"{language} {key}"


def test_zh_hant_file_is_what_opencc_and_the_terms_table_make_of_it() -> None:
    simplified = _toml("zh-Hans")
    for key, text in _toml("zh-Hant").items():
        assert not needs_conversion(text, "zh-TW"), f"{key}: {text!r} -> {to_hant(text)!r}"
        if HAN.search(simplified[key]):
            assert HAN.search(text), f"{key} is not Chinese: {text!r}"


# The on-screen keyboard's script toggle names both scripts, as keyboards do everywhere.
SCRIPT_TOGGLES = {"kb.latin"}


def test_english_file_has_no_chinese() -> None:
    for key, text in _toml("en").items():
        if key not in SCRIPT_TOGGLES:
            assert not HAN.search(text), f"{key}: {text!r}"


def test_hong_kong_terminal_derives_its_traditional_text(hk: None) -> None:
    assert i18n.t("device.printer", "zh-Hant") == "打印機"  # Hong Kong word; Taiwan: 印表機
    assert i18n.t("chrome.online", "zh-Hant") == "網絡正常"
    for key in _toml("zh-Hans"):
        text = i18n.t(key, "zh-Hant")
        assert not needs_conversion(text, "zh-HK"), f"{key}: {text!r}"


def test_taiwan_terminal_uses_the_reviewed_file() -> None:
    assert i18n.t("device.printer", "zh-Hant") == "印表機"
    assert i18n.t("chrome.online", "zh-Hant") == "網路正常"


def test_hand_fixed_terms_win_over_opencc_phrases() -> None:
    # A service counter is not a computer window; papers to bring are not computer files.
    assert to_hant("请到窗口办理", "zh-TW") == "請到窗口辦理"
    assert to_hant("所需文件", "zh-TW") == "所需文件"
    assert to_hant("往来台湾通行证", "zh-HK") == "往來台灣通行證"
    for variant in VARIANTS:
        once = to_hant("请到窗口办理视频帮助的程序", variant)
        assert to_hant(once, variant) == once  # idempotent, so a screen can be checked


def test_catalog_ships_english_for_every_resident_text() -> None:
    for category in CATALOG["categories"]:
        assert category["name_en"] and not HAN.search(category["name_en"])
    for service in CATALOG["services"]:
        code = service["code"]
        zh, en = service["guide"], service["guide_en"]
        assert set(en) == set(zh), code
        for key in ("conditions", "materials"):
            assert len(en[key]) == len(zh[key]), f"{code} guide_en.{key}"
        for text in _texts(service, "en"):
            assert text and not HAN.search(text), f"{code}: {text!r}"


def test_traditional_catalog_has_nothing_left_to_convert(variant: Variant) -> None:
    for category in CATALOG["categories"]:
        name = Category.from_json(category).name("zh-Hant")
        assert not needs_conversion(name, variant), name
    for service in CATALOG["services"]:
        for text in _texts(service, "zh-Hant"):
            assert text and not needs_conversion(text, variant), f"{service['code']}: {text!r}"
    sb001 = Service.from_json(CATALOG["services"][0])
    assert sb001.name("zh-Hant").startswith("社會保險個人參保證明")


def test_simplified_is_the_catalog_as_written() -> None:
    raw = CATALOG["services"][1]
    service = Service.from_json(raw)
    assert service.name("zh-Hans") == raw["name_zh"]
    assert list(service.guide_in("zh-Hans").materials) == raw["guide"]["materials"]
    assert [f.label("zh-Hans") for f in service.form] == [f["label_zh"] for f in raw["form"]]


def test_hand_written_traditional_and_old_catalogs_without_english_guides() -> None:
    raw = {**CATALOG["services"][0], "name_zh_hant": "社會保險參保證明"}
    raw.pop("guide_en")
    service = Service.from_json(raw)
    assert service.name("zh-Hant") == "社會保險參保證明"
    # An older platform's catalog has no English guide: the Chinese one, not an empty page.
    assert service.guide_in("en").fee == raw["guide"]["fee"]
    assert service.name("en") == raw["name_en"]


def test_english_guides_reach_the_terminal_through_the_platform_and_its_cache(tmp_path) -> None:
    with (
        EmbeddedPlatform(tmp_path / "platform") as platform,
        PlatformClient(platform.base_url, platform.terminal_id, platform.terminal_secret) as client,
    ):
        store = CatalogStore(tmp_path / "kiosk")
        assert store.refresh(client)
    # A restart offline reads the cache the refresh wrote.
    cached = CatalogStore(tmp_path / "kiosk").get("SB002")
    assert cached is not None
    service = Service.from_json(cached)
    assert service.guide_in("en").fee.startswith("20 yuan card fee")
    assert service.form[2].options  # 补换原因 options, in English
    assert all(not HAN.search(o.label("en")) for o in service.form[2].options)
