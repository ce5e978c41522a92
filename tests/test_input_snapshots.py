"""Snapshots of every on-screen input widget, normal and 长辈模式, at 120×40 and 64×20
(pytest-textual-snapshot; `--snapshot-update` after looking at the new pictures)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widget import Widget

from kiosk.widgets.addressinput import AddressInput
from kiosk.widgets.choicelist import Choice, ChoiceList
from kiosk.widgets.datepicker import DatePicker
from kiosk.widgets.numberpad import NumberPad
from kiosk.widgets.pinyinkeyboard import PinyinKeyboard
from kiosk.widgets.regionpicker import RegionPicker
from tests.conftest import tap
from tests.input_helpers import InputHost

TODAY = dt.date(2026, 12, 1)
REASONS = [
    Choice("lost", {"zh-Hans": "遗失", "en": "lost"}),
    Choice("damaged", {"zh-Hans": "损坏", "en": "damaged"}),
    Choice("changed", {"zh-Hans": "信息变更", "en": "details changed"}),
]
WIDGETS: dict[str, Callable[[], Widget]] = {
    "numberpad": lambda: NumberPad(kind="id_number", value="11010519491"),
    "datepicker": lambda: DatePicker(dt.date(1975, 8, 31), latest=TODAY, today=TODAY),
    "regionpicker": lambda: RegionPicker("440100"),
    "pinyinkeyboard": lambda: PinyinKeyboard("朝阳区"),
    "choicelist": lambda: ChoiceList(REASONS, "damaged"),
    "addressinput": lambda: AddressInput("110105", "建国路88号"),
}


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    if pilot.app.screen.query(PinyinKeyboard) and not pilot.app.screen.query(AddressInput):
        for key in "jianguo":  # pinyin waiting for its candidates
            await tap(pilot, f"#kb-{key}")
        assert pilot.app.screen.query_one(PinyinKeyboard).letters == "jianguo"
    await pilot.hover(None, offset=(0, 0))  # no key shown as hovered
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", [(120, 40), (64, 20)], ids=["120x40", "64x20"])
@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize("widget", list(WIDGETS))
def test_input_widget_snapshot(
    snap_compare, widget: str, elder: bool, size: tuple[int, int]
) -> None:
    app = InputHost(WIDGETS[widget], elder=elder)
    assert snap_compare(app, terminal_size=size, run_before=settle)
