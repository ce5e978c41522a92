"""An address by taps: the division from the picker, the street line on the keyboard."""

from __future__ import annotations

from kiosk.widgets.addressinput import AddressInput
from kiosk.widgets.pinyinkeyboard import PinyinKeyboard
from kiosk.widgets.regionpicker import RegionPicker
from tests.conftest import tap, wait_until
from tests.input_helpers import InputHost, shows, text_of


async def keys(pilot, typed: str) -> None:
    for key in typed:
        await tap(pilot, f"#kb-{key}")


async def test_an_address_is_a_division_and_a_street_line() -> None:
    app = InputHost(lambda: AddressInput(max_length=100))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app.screen.query_one(PinyinKeyboard).display  # the place first
        await tap(pilot, "#region-110000")
        await tap(pilot, "#region-110105")  # 朝阳区
        await shows(pilot, ".address-place", "北京市朝阳区")
        assert not app.screen.query_one(RegionPicker).display
        await keys(pilot, "jianguolu")
        await tap(pilot, "#kb-cand-0")  # 建国
        await tap(pilot, "#kb-cand-0")  # 路
        await keys(pilot, "88hao")
        assert text_of(app, "#kb-cand-0") == "好"  # the most used hao; 号 is further on
        index = next(
            i for i in range(12) if text_of(app, f"#kb-cand-{i}") == "号"
        )  # fmt: skip
        await tap(pilot, f"#kb-cand-{index}")
        await tap(pilot, "#kb-done")
        done = app.of(AddressInput.Done)
        assert [(m.code, m.detail, m.text) for m in done] == [
            ("110105", "建国路88号", "北京市朝阳区建国路88号")
        ]
        # the keyboard's and the picker's own Done stay inside
        assert not app.of(PinyinKeyboard.Done) and not app.of(RegionPicker.Done)


async def test_change_place_goes_back_to_the_picker_and_keeps_the_street() -> None:
    app = InputHost(lambda: AddressInput("110105", "建国路88号"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(PinyinKeyboard).value == "建国路88号"
        await tap(pilot, "#address-change")
        assert app.screen.query_one(RegionPicker).display
        await wait_until(pilot, lambda: app.screen.query("#region-110108"))  # laid out anew
        await tap(pilot, "#region-110108")  # 海淀区 (the picker opens at 北京市)
        await shows(pilot, ".address-place", "北京市海淀区")
        assert app.screen.query_one(AddressInput).text == "北京市海淀区建国路88号"
