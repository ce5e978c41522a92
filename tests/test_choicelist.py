"""Large option buttons for select fields, driven by taps."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.widgets.choicelist import ChoiceList
from tests.conftest import tap
from tests.input_helpers import InputHost, text_of

CATALOG = Path(__file__).resolve().parent.parent / "kiosk" / "platform" / "data" / "catalog.json"


def reason_options() -> list[dict[str, str]]:  # SB002 社会保障卡补换领: 补换原因
    services = json.loads(CATALOG.read_text(encoding="utf-8"))["services"]
    form = next(s for s in services if s["code"] == "SB002")["form"]
    return next(f for f in form if f["name"] == "reason")["options"]


async def test_one_tap_chooses_and_the_choice_is_marked_not_only_coloured() -> None:
    app = InputHost(lambda: ChoiceList.from_options(reason_options()))
    async with app.run_test(size=(120, 40)) as pilot:
        assert [text_of(app, f"#choice-{i}") for i in range(3)] == ["遗失", "损坏", "信息变更"]
        await tap(pilot, "#choice-1")
        assert text_of(app, "#choice-1") == "✓ 损坏"
        assert app.screen.query_one("#choice-1").has_class("-chosen")
        await tap(pilot, "#choice-0")
        assert text_of(app, "#choice-1") == "损坏" and text_of(app, "#choice-0") == "✓ 遗失"
        assert [(m.value, m.label) for m in app.of(ChoiceList.Changed)] == [
            ("damaged", "损坏"), ("lost", "遗失"),
        ]  # fmt: skip
        assert app.screen.query_one(ChoiceList).value == "lost"


async def test_labels_follow_the_language_and_elder_mode_has_two_big_columns() -> None:
    app = InputHost(lambda: ChoiceList.from_options(reason_options(), "changed"), elder=True)
    async with app.run_test(size=(120, 40)) as pilot:
        first, third = app.screen.query_one("#choice-0"), app.screen.query_one("#choice-2")
        assert third.region.y > first.region.y  # two a row: the third goes below
        assert first.region.height >= 5
        app.set_language("en")
        await pilot.pause()
        assert text_of(app, "#choice-2") == "✓ details changed"
        app.set_language("zh-Hant")  # no 繁體 label in the catalog: made from the 简体 one
        await pilot.pause()
        assert text_of(app, "#choice-0") == "遺失"
        assert text_of(app, "#choice-2") == "✓ 資訊變更"
