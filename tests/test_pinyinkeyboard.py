"""The on-screen pinyin keyboard, driven by taps: letters become candidates, a candidate
becomes text, capitals and digits are typed as they are."""

from __future__ import annotations

from kiosk.widgets.pinyinkeyboard import PinyinKeyboard
from tests.conftest import tap
from tests.input_helpers import InputHost, text_of


async def letters(pilot, typed: str) -> None:
    for key in typed:
        await tap(pilot, f"#kb-{key}")


async def test_pinyin_becomes_hanzi_by_tapping_candidates() -> None:
    app = InputHost(lambda: PinyinKeyboard())
    async with app.run_test(size=(120, 40)) as pilot:
        await letters(pilot, "yishi")
        assert text_of(app, "#kb-cand-0") == "遗失"
        assert text_of(app, ".kb-display") == "yishi▏"
        await tap(pilot, "#kb-cand-0")
        assert app.screen.query_one(PinyinKeyboard).value == "遗失"
        # a word and the letters it did not use: jianguolu → 建国 + lu → 路
        await letters(pilot, "jianguolu")
        assert text_of(app, "#kb-cand-0") == "建国"
        await tap(pilot, "#kb-cand-0")
        assert app.screen.query_one(PinyinKeyboard).letters == "lu"
        assert text_of(app, "#kb-cand-0") == "路"
        await tap(pilot, "#kb-cand-0")
        await letters(pilot, "3")
        await tap(pilot, "#kb-dash")
        await tap(pilot, "#kb-done")
        assert [m.value for m in app.of(PinyinKeyboard.Done)] == ["遗失建国路3-"]
        assert [m.value for m in app.of(PinyinKeyboard.Changed)][:2] == ["遗失", "遗失建国"]


async def test_done_with_letters_left_says_to_choose_first_and_back_takes_a_letter() -> None:
    app = InputHost(lambda: PinyinKeyboard())
    async with app.run_test(size=(120, 40)) as pilot:
        await tap(pilot, "#kb-done")
        assert text_of(app, ".kb-message") == "还没有输入内容"
        await letters(pilot, "wangx")
        await tap(pilot, "#kb-done")
        assert text_of(app, ".kb-message") == "请先在上面点选“wangx”要打的字"
        assert app.of(PinyinKeyboard.Done) == []
        await tap(pilot, "#kb-back")
        assert text_of(app, ".kb-display") == "wang▏"
        assert text_of(app, "#kb-cand-0") == "王"
        assert text_of(app, ".kb-message") == ""


async def test_capitals_and_digits_for_a_plate_number_and_paging_candidates() -> None:
    app = InputHost(lambda: PinyinKeyboard(max_length=8))
    async with app.run_test(size=(120, 40)) as pilot:
        await letters(pilot, "yue")
        while "粤" not in [text_of(app, f"#kb-cand-{i}") for i in range(12)]:
            await tap(pilot, "#kb-cand-next")
        index = [text_of(app, f"#kb-cand-{i}") for i in range(12)].index("粤")
        await tap(pilot, f"#kb-cand-{index}")
        await tap(pilot, "#kb-mode")
        assert text_of(app, "#kb-b") == "B"
        await letters(pilot, "b12345")
        assert app.screen.query_one(PinyinKeyboard).value == "粤B12345"


async def test_the_keyboard_fits_small_and_elder_screens() -> None:
    for size, elder in (((64, 20), False), ((64, 20), True), ((120, 40), True)):
        app = InputHost(lambda: PinyinKeyboard(), elder=elder)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            screen = app.screen.region
            for key in app.screen.query(".kb-key"):
                assert screen.contains_region(key.region), (size, elder, key.id)
                assert key.region.height >= 1 and key.region.width >= 3


async def test_code_mode_types_capitals_from_the_start() -> None:
    app = InputHost(lambda: PinyinKeyboard(mode="code"))
    async with app.run_test(size=(120, 40)) as pilot:
        assert text_of(app, "#kb-c") == "C"
        await letters(pilot, "c12")
        await tap(pilot, "#kb-done")
        assert [m.value for m in app.of(PinyinKeyboard.Done)] == ["C12"]
