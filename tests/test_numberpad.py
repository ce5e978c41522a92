"""The on-screen number pad, driven by taps: what the resident sees while typing a phone or
an ID number, and the value the screen gets."""

from __future__ import annotations

from kiosk import idnumber
from kiosk.widgets.numberpad import NumberPad
from tests.conftest import tap
from tests.input_helpers import InputHost, text_of

SYNTHETIC_ID = idnumber.with_check_digit("11010519491231002")  # ends in X


async def type_on(pilot, keys: str) -> None:
    for key in keys:
        await tap(pilot, f"#pad-{ {'X': 'x', '.': 'dot'}.get(key, key) }")


async def test_a_phone_number_typed_by_taps_says_how_many_digits_are_missing() -> None:
    app = InputHost(lambda: NumberPad(kind="phone"))
    async with app.run_test(size=(120, 40)) as pilot:
        assert text_of(app, ".pad-message") == "请输入11位手机号码"
        await type_on(pilot, "1381234")
        assert text_of(app, ".pad-display") == "138 1234 ····"
        assert text_of(app, ".pad-message") == "手机号码是11位数字，还差4位"
        assert app.screen.query_one(".pad-message").has_class("-hint")
        # 确定 too early: the hint becomes an error, nothing is sent
        await tap(pilot, "#pad-done")
        assert app.screen.query_one(".pad-message").has_class("-error")
        assert app.of(NumberPad.Done) == []
        await type_on(pilot, "5678")
        assert text_of(app, ".pad-display") == "138 1234 5678"
        assert text_of(app, ".pad-message") == "✓ 已填好"
        await tap(pilot, "#pad-9")  # a twelfth digit is not taken
        assert app.screen.query_one(NumberPad).value == "13812345678"
        await tap(pilot, "#pad-done")
        done = app.of(NumberPad.Done)
        assert [m.value for m in done] == ["13812345678"]
        changed = app.of(NumberPad.Changed)
        assert len(changed) == 11 and changed[-1].checked.ok


async def test_a_wrong_start_is_an_error_at_once_and_backspace_fixes_it() -> None:
    app = InputHost(lambda: NumberPad(kind="phone"))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_on(pilot, "12")
        assert text_of(app, ".pad-message") == "手机号码的第二位是3到9，请核对"
        assert app.screen.query_one(".pad-message").has_class("-error")
        await tap(pilot, "#pad-back")
        await type_on(pilot, "5")
        assert text_of(app, ".pad-display") == "15· ···· ····"
        assert app.screen.query_one(".pad-message").has_class("-hint")
        await tap(pilot, "#pad-clear")
        assert text_of(app, ".pad-message") == "请输入11位手机号码"
        assert app.screen.query_one(NumberPad).value == ""


async def test_an_id_number_has_an_x_key_and_its_check_digit_is_checked() -> None:
    app = InputHost(lambda: NumberPad(kind="id_number"))
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.screen.query_one("#pad-x").visible
        assert not app.screen.query_one("#pad-dot").visible
        await type_on(pilot, SYNTHETIC_ID[:-2] + "3X")  # one digit wrong
        assert text_of(app, ".pad-message") == (
            "号码中有一位不对（最后一位校验码对不上），请逐位核对"
        )
        await tap(pilot, "#pad-back")
        await tap(pilot, "#pad-back")
        await type_on(pilot, SYNTHETIC_ID[-2:])
        assert text_of(app, ".pad-display") == "110105 19491231 002X"
        await tap(pilot, "#pad-done")
        assert [m.value for m in app.of(NumberPad.Done)] == [SYNTHETIC_ID]


async def test_a_masked_pad_shows_the_number_as_paper_does() -> None:
    app = InputHost(lambda: NumberPad(kind="phone", value="13812345678", masked=True))
    async with app.run_test(size=(120, 40)):
        assert text_of(app, ".pad-display") == "138 **** 5678"
        assert app.screen.query_one(NumberPad).value == "13812345678"


async def test_a_reference_keeps_its_prefix_and_the_phone_pad_has_no_x() -> None:
    app = InputHost(lambda: NumberPad(kind="reference", prefix="ZW", max_length=18))
    async with app.run_test(size=(120, 40)) as pilot:
        assert not app.screen.query_one("#pad-x").visible
        await type_on(pilot, "2026")
        assert text_of(app, ".pad-display") == "ZW2026"
        assert text_of(app, ".pad-message") == "编号是18位，还差12位"
        await tap(pilot, "#pad-clear")
        assert text_of(app, ".pad-display") == "ZW"


async def test_the_pad_speaks_the_residents_language() -> None:
    app = InputHost(lambda: NumberPad(kind="phone", value="138"))
    async with app.run_test(size=(120, 40)) as pilot:
        app.set_language("en")
        await pilot.pause()
        assert text_of(app, ".pad-message") == "A mobile number has 11 digits: 8 more to go"
        assert text_of(app, "#pad-done") == "OK"
        app.set_language("zh-Hant")
        await pilot.pause()
        assert text_of(app, ".pad-message") == "手機號碼是11位數字，還差8位"


async def test_keys_are_big_enough_to_touch_in_both_modes() -> None:
    for elder, height in ((False, 3), (True, 5)):
        app = InputHost(lambda: NumberPad(kind="amount"), elder=elder)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            key = app.screen.query_one("#pad-5")
            assert key.region.height >= height and key.region.width >= 10
            await type_on(pilot, "35.5")
            await tap(pilot, "#pad-done")
            assert [m.value for m in app.of(NumberPad.Done)] == ["35.50"]


async def test_the_screen_can_give_the_pad_its_forms_check() -> None:
    from kiosk.validation import check_integer

    app = InputHost(
        lambda: NumberPad(kind="integer", max_length=4, check=lambda raw: check_integer(
            raw, minimum=1950, maximum=2026
        ))
    )  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        await type_on(pilot, "1949")
        assert text_of(app, ".pad-message") == "不能小于1950"
        await tap(pilot, "#pad-done")
        assert app.of(NumberPad.Done) == []
        await tap(pilot, "#pad-clear")
        await type_on(pilot, "1975")
        await tap(pilot, "#pad-done")
        assert [m.value for m in app.of(NumberPad.Done)] == ["1975"]
