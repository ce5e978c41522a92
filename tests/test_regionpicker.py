"""The on-screen region picker, driven by taps: province → city → county, pages that follow
the screen, 上一级, and the GB/T 2260 code the screen gets."""

from __future__ import annotations

from kiosk.widgets.regionpicker import RegionPicker
from tests.conftest import tap
from tests.input_helpers import InputHost, shows, text_of


async def next_page_until(pilot, selector: str) -> None:
    """Page on (as a resident would) until the button is on the page."""
    for _ in range(10):
        if pilot.app.screen.query(selector):
            return
        await tap(pilot, "#region-next")
    raise AssertionError(f"{selector} is on no page")


async def test_a_county_is_chosen_by_taps() -> None:
    app = InputHost(lambda: RegionPicker())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await shows(pilot, ".region-path", "请选择省份")
        assert app.screen.query_one("#region-up").disabled
        await next_page_until(pilot, "#region-440000")
        await tap(pilot, "#region-440000")  # 广东省
        await shows(pilot, ".region-path", "广东省 › 请选择城市")
        await tap(pilot, "#region-440100")  # 广州市
        await shows(pilot, ".region-path", "广东省 › 广州市 › 请选择区县")
        await tap(pilot, "#region-440106")  # 天河区
        await shows(pilot, ".region-path", "广东省 › 广州市 › 天河区 ✓")
        assert app.screen.query_one("#region-440106").has_class("-chosen")
        done = app.of(RegionPicker.Done)
        assert [(m.code, m.name) for m in done] == [("440106", "广东省广州市天河区")]
        # 上一级 undoes the choice, then leaves the city
        await tap(pilot, "#region-up")
        await shows(pilot, ".region-path", "广东省 › 广州市 › 请选择区县")
        assert app.of(RegionPicker.Changed)[-1].code == "440100"
        await tap(pilot, "#region-up")
        await shows(pilot, ".region-path", "广东省 › 请选择城市")


async def test_a_municipality_goes_straight_to_its_districts_and_a_city_level_stops_early() -> None:
    app = InputHost(lambda: RegionPicker())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await tap(pilot, "#region-110000")
        await shows(pilot, ".region-path", "北京市 › 请选择区县")
        await next_page_until(pilot, "#region-110108")
        await tap(pilot, "#region-110108")
        assert [m.name for m in app.of(RegionPicker.Done)] == ["北京市海淀区"]
    app = InputHost(lambda: RegionPicker(level="city"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await tap(pilot, "#region-110000")  # a municipality is a city already
        await next_page_until(pilot, "#region-440000")
        assert [m.code for m in app.of(RegionPicker.Done)] == ["110000"]


async def test_the_page_holds_what_the_screen_can_show() -> None:
    sizes = {}
    cases = (((120, 40), False), ((64, 20), False), ((120, 40), True), ((64, 20), True))
    for size, elder in cases:
        app = InputHost(lambda: RegionPicker(), elder=elder)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            buttons = list(app.screen.query(".region-option"))
            screen = app.screen.region
            # every button of the page is wholly on screen: nothing hides below the fold
            assert buttons and all(screen.contains_region(b.region) for b in buttons)
            sizes[(size, elder)] = len(buttons)
            pages = text_of(app, ".region-page")
            assert pages.startswith("1 / ")
    # every province on one page at 120×40 (by short name: 广西, 内蒙古), in both modes
    assert sizes[((120, 40), False)] == sizes[((120, 40), True)] == 34
    assert 15 <= sizes[((64, 20), False)] < 34  # two pages on a small screen
    assert 8 <= sizes[((64, 20), True)] < sizes[((64, 20), False)]


async def test_starting_from_a_code_and_the_language() -> None:
    app = InputHost(lambda: RegionPicker("440106"), language="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(RegionPicker).value == "440106"
        await shows(pilot, ".region-path", "Guangdong › Guangzhou › Tianhe District ✓")
        await tap(pilot, "#region-up")
        await shows(pilot, ".region-path", "Guangdong › Guangzhou › Choose the district or county")
        await shows(pilot, "#region-440103", "Liwan District")
        await shows(pilot, "#region-up", "Back a level")


async def test_place_names_are_shown_in_the_script_the_resident_reads() -> None:
    app = InputHost(lambda: RegionPicker("440106"), language="zh-Hant")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await shows(pilot, ".region-path", "廣東省 › 廣州市 › 天河區 ✓")
        await shows(pilot, "#region-440103", "荔灣區")
        assert app.screen.query_one(RegionPicker).value == "440106"  # the code is unchanged
