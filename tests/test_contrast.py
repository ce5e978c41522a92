"""Contrast of what the screens really draw (WCAG): text at least 7:1 and frames at least 3:1,
in both themes, focused, hovered or not. Read from the compositor's strips, so a colour the
theme never meant (a bevel, a dimmed disabled label, a placeholder) counts too."""

from __future__ import annotations

import pytest

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from kiosk.contrast import NON_TEXT_RATIO, TEXT_RATIO, drawn_pairs, hex_ratio, ratio
from kiosk.theme import THEMES
from tests.conftest import wait_until
from tests.screen_checks import contrast_failures, describe, strips


def test_wcag_ratio_of_known_pairs() -> None:
    assert ratio((255, 255, 255), (0, 0, 0)) == pytest.approx(21.0)
    assert hex_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)
    assert hex_ratio("#FFEB3B", "#000000") == pytest.approx(hex_ratio("#000000", "#FFEB3B"))


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_theme_pairs_meet_the_goal(theme) -> None:
    v = {**theme.variables}
    text_pairs = [
        (theme.foreground, theme.background),
        (theme.foreground, theme.surface),
        (theme.foreground, theme.panel),
        (v["on-primary"], theme.primary),
        ("#000000", theme.success),
        ("#000000", theme.warning),
        ("#000000", theme.error),
        ("#000000", theme.accent),
        (theme.success, theme.panel),  # 网络正常 in the top bar
        (theme.warning, theme.panel),  # 离线办理中
        (v["muted"], theme.background),
        (v["muted"], theme.surface),
    ]
    for fg, bg in text_pairs:
        assert hex_ratio(fg, bg) >= TEXT_RATIO, (fg, bg, hex_ratio(fg, bg))
    for frame, bg in [(v["frame"], theme.background), (v["frame"], theme.surface)]:
        assert hex_ratio(frame, bg) >= NON_TEXT_RATIO, (frame, bg)


def test_a_low_contrast_pair_is_caught() -> None:
    from rich.segment import Segment
    from rich.style import Style

    grey_on_navy = Segment("网络正常", Style(color="#4A7A5A", bgcolor="#0D2748"))
    bevel = Segment("▔▔▔▔", Style(color="#6C9DFF", bgcolor="#206CC3"))
    pairs = drawn_pairs([[grey_on_navy, bevel]])
    assert {p.text for p in pairs if p.ratio < p.needed} == {"网络正常", "▔▔▔▔"}


async def _check(app: KioskApp, pilot, where: str) -> None:
    await pilot.pause()
    assert strips(app), "nothing drawn"
    bad = contrast_failures(app)
    assert not bad, f"{where}: {describe(bad)}"


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
async def test_home_and_guide_draw_no_low_contrast_pair(kiosk_config: KioskConfig, elder) -> None:
    app = KioskApp(kiosk_config, start_services=False)
    size = (64, 20) if elder else (120, 40)
    async with app.run_test(size=size) as pilot:
        app.set_elder(elder)
        await wait_until(pilot, lambda: app.screen.query("#chrome-elder"))
        await _check(app, pilot, "home")
        await pilot.hover("#chrome-staff")  # a touch leaves the pointer where it tapped
        await _check(app, pilot, "home, hovered")
        app.open_journey("guide")
        await wait_until(pilot, lambda: app.screen.query("#guide-prev"))
        await _check(app, pilot, "guide (disabled 上一页, unfocused search box)")
        app.screen.query_one("#guide-search").focus()
        await _check(app, pilot, "guide, search box focused")
        app.set_language("en")
        await _check(app, pilot, "guide in English")
