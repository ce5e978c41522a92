"""Every resident screen, as drawn, in normal mode (120×40) and 长辈模式 (64×20 cells, the grid
of the larger font): contrast of every colour pair drawn (text ≥ 7:1, frames ≥ 3:1), nothing
below the fold, every touch target (the bars' too) ≥ 60 px both ways in 长辈模式 and ≥ 44 px
otherwise on the 1920×1080 panel, at most four choices in 长辈模式, and the language really switched (繁體:
nothing OpenCC would still convert; English: no Han characters except names from the card,
the platform and the language switch itself). The journey is walked by taps."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kiosk.app import KioskApp
from kiosk.devices.idcard.synthetic import DEMO_FIELDS, CardType
from kiosk.i18n import LANGUAGE_LABELS
from kiosk.privacy import mask_name
from tests.conftest import FACE, MakeApp, config_for
from tests.screen_checks import (
    choices,
    contrast_failures,
    describe,
    han_characters,
    hidden_below_the_fold,
    screen_text,
    small_targets,
    unconverted,
)
from tests.touch import Touch

RESIDENT = DEMO_FIELDS[CardType.RESIDENT]
# What may stay in Han characters whatever the language: the resident's name as the card
# gives it (masked), and each language's own name on the language switch.
NAMES = (mask_name(RESIDENT["name"]), *LANGUAGE_LABELS.values())
ELDER_MAX_CHOICES = 4
# Touch targets: ≥ 60×60 in 长辈模式, ≥ 44×44 otherwise (the 适老化 rules for apps).
MIN_TARGET_PX = {True: 60, False: 44}
# Navigation, not choices of the step: pagers, 下一步 / 提交, 全部分类, the bars.
NAVIGATION = (
    "guide-prev",
    "guide-next",
    "guide-categories-back",
    "chrome-",
    "form-next",
    "ticket-prev",
    "ticket-next",
    "review-submit",
    "input-cancel",
    "rating-skip",
    "rating-send",
    "rating-regroup",
    "rating-page",
)


@pytest.fixture
def app(tmp_path: Path, make_app: MakeApp) -> KioskApp:
    return make_app(
        config_for(tmp_path, on=("idcard", "printer", "camera", "a4printer", "doccam"), **FACE)
    )


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")


# On-screen input devices: their keys are a keyboard, not choices of the step.
INPUT_DEVICES = ("NumberPad", "PinyinKeyboard", "DatePicker", "RegionPicker")


def platform_words(app: KioskApp) -> tuple[str, ...]:
    """What a certificate says as the platform issued it (whom it certifies, the issuing
    authority): shown as on the document, in English too, under English labels."""
    result = getattr(app.screen, "result", None)
    return tuple(value for _, value in getattr(result, "summary_en", ()))


def step_choices(app: KioskApp) -> list[str]:
    """What the resident chooses among on this step: not navigation (pager, 下一步, the bars)
    and not the keys of an on-screen keyboard."""

    def is_key(widget) -> bool:
        return any(type(a).__name__ in INPUT_DEVICES for a in widget.ancestors)

    shown = [w for w in choices(app) if not is_key(w)]
    names = [w.id or w.name or type(w).__name__ for w in shown]
    return [n for n in names if not n.startswith(NAVIGATION)]


async def check_screen(app: KioskApp, pilot, where: str, found: Findings) -> None:
    """Every check, in the three languages (ending in 简体, as the walk goes on in it)."""
    await pilot.pause()
    found.seen.append(where)
    for language in ("zh-Hant", "en", "zh-Hans"):
        app.set_language(language)
        await pilot.pause()
        await pilot.pause()
        here = f"{where} [{language}{' 长辈' if app.elder else ''}]"
        bad = contrast_failures(app)
        if bad:
            found.add(here, "contrast " + describe(bad))
        for problem in hidden_below_the_fold(app):
            found.add(here, "below the fold: " + problem)
        for small in small_targets(app, MIN_TARGET_PX[app.elder]):
            found.add(here, "target too small: " + small)
        text = screen_text(app)
        if language == "zh-Hant" and (left := unconverted(text, "zh-TW", NAMES)):
            found.add(here, f"简体 left: {''.join(left)}")
        issued = han_characters(" ".join(platform_words(app)))  # wrapped lines split them
        if language == "en" and (han := han_characters(text, NAMES) - issued):
            found.add(here, f"Han in English: {''.join(sorted(han))}")
        if app.elder and len(step := step_choices(app)) > ELDER_MAX_CHOICES:
            found.add(here, f"{len(step)} choices: {step}")
        if app.elder and len(bar := choices(app, "BottomBar")) > ELDER_MAX_CHOICES:
            found.add(here, f"{len(bar)} buttons in the bottom bar")


async def walk(app: KioskApp, pilot, check: Callable[[str], Awaitable[None]]) -> None:
    """Home → 办事指南 → 社保 → 社会保障卡补换领 → its guide → card → form → number pad → review
    → result → 好差评; then 取号, 进度查询, 扫码 and the inactivity countdown."""
    touch = Touch(app, pilot)
    await touch.services_up()
    await check("home")
    await touch.tap("#home-guide")
    await touch.until(lambda: touch.screen_is("GuideScreen"))
    await check("guide")
    await touch.tap("#cat-social_security")
    await pilot.pause()
    await check("guide, 社保")
    while not app.screen.query("#svc-SB002"):
        await touch.tap("#guide-next")
    await touch.tap("#svc-SB002")
    await touch.until(lambda: touch.screen_is("ServiceGuideScreen"))
    await check("service guide")
    await touch.tap("#service-start")
    await touch.until(lambda: touch.screen_is("IdCardScreen"))
    await check("ID card")
    await touch.place_card()
    await touch.until(lambda: app.screen.query_one("#idcard-continue").display)
    await check("ID card read")
    await touch.tap("#idcard-continue")
    await touch.until(lambda: touch.screen_is("FormScreen"))
    await check("form")
    await touch.tap("Button.option")
    await touch.tap("#field-phone")
    await touch.until(lambda: app.screen.query("#pad-done"))
    await check("number pad")
    await touch.digits("13800001111")
    await touch.until(lambda: touch.screen_is("FormScreen"))
    await touch.tap("#chrome-home")  # answers given: 返回首页 asks first
    await touch.until(lambda: touch.screen_is("ConfirmHomeScreen"))
    await check("asks before going home")
    await touch.tap("#confirm-stay")
    await touch.until(lambda: touch.screen_is("FormScreen"))
    await touch.tap("#form-next")
    await touch.until(lambda: touch.screen_is("ReviewScreen"))
    await check("review")
    await touch.tap("#review-submit")
    await touch.until(lambda: touch.screen_is("SubmittedScreen"))
    await touch.until(lambda: "回执已打印" in screen_text(app), 30)
    await check("result")
    await touch.tap("#submitted-rate")
    await touch.until(lambda: touch.screen_is("RatingScreen"))
    await check("rating")
    if app.elder:  # 长辈模式 asks 满意 or 不满意 first, then how much
        await touch.tap("#coarse-bad")
        await check("rating, how much")
    await touch.tap("#level-4")  # 不满意 asks why
    await check("rating, why")
    if app.elder:  # the reasons three at a time
        await touch.tap("#rating-page")
        await check("rating, more reasons")
    elder = app.elder
    await touch.tap("#chrome-home")

    for button, screen in (
        ("#home-ticket", "TicketScreen"),
        ("#home-progress", "ProgressScreen"),
        *([] if elder else [("#home-scan", "ScanScreen")]),  # 长辈模式 keeps the ID card only
    ):
        await touch.until(lambda: touch.screen_is("HomeScreen") and app.session is None)
        app.set_elder(elder)  # the next person starts in normal mode: this one wants 长辈模式
        await pilot.pause(0.2)
        await touch.tap(button)
        await touch.until(lambda s=screen: touch.screen_is(s))
        await check(screen)
        await touch.tap("#chrome-home")
    await touch.until(lambda: touch.screen_is("HomeScreen") and app.session is None)
    app.set_elder(elder)
    await pilot.pause(0.2)
    # A certificate: the face step, then the record printed (the card taken out and put back:
    # a card left on the reader is never read for the next person).
    reader = app.services.device("idcard").emulator
    reader.remove_card()
    await touch.tap("#home-guide")
    await touch.until(lambda: touch.screen_is("GuideScreen"))
    await touch.tap("#cat-social_security")
    await touch.until(lambda: app.screen.query("#svc-SB001"))
    await touch.tap("#svc-SB001")
    await touch.until(lambda: touch.screen_is("ServiceGuideScreen"))
    await touch.tap("#service-start")
    await touch.identify()
    await touch.until(lambda: touch.screen_is("FormScreen"))
    await touch.tap("Button.option")  # 近12个月
    await touch.tap("#form-next")
    await touch.until(lambda: touch.screen_is("FaceScreen") or touch.screen_is("RecordScreen"), 40)
    if touch.screen_is("FaceScreen"):
        await check("face")
    await touch.until(lambda: touch.screen_is("RecordScreen"), 40)
    # What the resident waits for: the answer (完成 is there all along; judged and tapped
    # while still fetching, the answer could arrive under the finger).
    await touch.until(lambda: "正在" not in touch.text("RecordScreen #record-status"), 40)
    await check("certificate")
    elder = app.elder
    await touch.tap("#record-done")
    await touch.until(lambda: touch.screen_is("HomeScreen") and app.session is None)
    app.set_elder(elder)
    await pilot.pause(0.2)
    await touch.tap("#home-guide")  # a session, then silence until the countdown
    await touch.until(lambda: touch.screen_is("GuideScreen"))
    app.idle.clock.advance(app.idle.timeout + 1)  # type: ignore[attr-defined]
    app.check_inactivity()
    await touch.until(lambda: touch.screen_is("CountdownScreen"))
    await check("countdown")


@pytest.mark.parametrize(
    ("elder", "size"),
    [(False, (120, 40)), (True, (64, 20))],
    ids=["normal-120x40", "elder-64x20"],
)
async def test_every_resident_screen(app: KioskApp, elder: bool, size: tuple[int, int]) -> None:
    found = Findings()
    async with app.run_test(size=size) as pilot:
        app.set_elder(elder)

        async def check(where: str) -> None:
            await check_screen(app, pilot, where, found)

        try:
            await walk(app, pilot, check)
        except AssertionError:  # a step that cannot be reached by taps is a finding too
            import traceback

            where = [f for f in traceback.extract_tb(sys.exc_info()[2]) if f.name == "walk"]
            line = where[-1].line if where else "?"
            found.add(found.seen[-1] if found.seen else "start", f"cannot go on: {line}")
    assert not found.problems, "\n".join(found.problems)
    assert len(found.seen) >= 14, found.seen
