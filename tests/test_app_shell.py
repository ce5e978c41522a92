"""The kiosk shell as a resident meets it: keys that must not quit, touch, languages, 长辈模式."""

from __future__ import annotations

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from kiosk.i18n import LANGUAGES, catalog
from kiosk.screens.home import HomeScreen
from kiosk.widgets.bigtext import BigText
from kiosk.widgets.chrome import TButton, TLabel
from tests.conftest import wait_until

ESCAPE_KEYS = ["ctrl+c", "ctrl+q", "ctrl+z", "ctrl+p", "ctrl+backslash", "escape"]


async def test_resident_cannot_leave_with_any_key(kiosk_config: KioskConfig) -> None:
    app = KioskApp(kiosk_config, start_services=False)
    async with app.run_test(size=(120, 36)) as pilot:
        for key in ESCAPE_KEYS:
            await pilot.press(key)
            await pilot.pause()
            assert app.is_running, f"{key} exited the kiosk"
            assert isinstance(app.screen, HomeScreen), f"{key} left the home screen"
        assert app.return_code is None
        # no command palette either
        assert not app.ENABLE_COMMAND_PALETTE
        assert "CommandPalette" not in {type(s).__name__ for s in app.screen_stack}


async def test_home_screen_shows_the_ways_in_and_the_chrome(kiosk_config: KioskConfig) -> None:
    app = KioskApp(kiosk_config, start_services=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        labels = {str(b.label) for b in app.screen.query(TButton)}
        assert {"刷身份证", "扫码", "办事指南", "取号", "进度查询"} <= labels
        assert {"呼叫工作人员", "长辈模式"} <= labels
        assert str(app.screen.query_one("#terminal-name").render()) == "示范政务服务一体机"
        assert "离线" in str(app.screen.query_one("#network").render())  # no platform started


async def test_touch_switches_language_everywhere(kiosk_config: KioskConfig) -> None:
    app = KioskApp(kiosk_config, start_services=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.click("#lang-en")
        await pilot.pause()
        assert str(app.screen.query_one("#home-idcard", TButton).label) == "Read ID card"
        assert str(app.screen.query_one("#chrome-staff", TButton).label) == "Call staff"
        assert app.title == "Government Services Self-Service Terminal"
        await pilot.click("#lang-zh-Hant")
        await pilot.pause()
        assert str(app.screen.query_one("#home-idcard", TButton).label) == "刷身份證"
        assert "離線" in str(app.screen.query_one("#network").render())
        await pilot.click("#lang-zh-Hans")
        await pilot.pause()
        assert str(app.screen.query_one("#welcome", TLabel).render()) == "欢迎使用自助服务"


async def test_elder_mode_enlarges_and_raises_contrast(kiosk_config: KioskConfig) -> None:
    app = KioskApp(kiosk_config, start_services=False)
    # 160x45 cells: a 1920x1080 kiosk screen with a 12x24 px terminal font
    async with app.run_test(size=(160, 45)) as pilot:
        button = app.screen.query_one("#home-idcard")
        await wait_until(pilot, lambda: button.size.height > 0)
        normal_area = button.size.width * button.size.height
        await pilot.click("#chrome-elder")
        big = app.screen.query_one("#welcome-big", BigText)
        # layout and the large labels follow the resize: let them settle
        await wait_until(pilot, lambda: big.size.height >= 5 and str(button.label).count("\n") >= 5)
        assert app.elder and app.has_class("-elder") and app.theme == "kiosk-elder"
        # the way out of 长辈模式 moves to the top bar: the bottom bar keeps four buttons
        assert str(app.screen.query_one("#chrome-elder-top", TButton).label) == "长辈模式：开"
        assert not app.screen.query_one("#chrome-elder").display
        assert big.display and big.size.height >= 5  # drawn large, not one line of text
        assert "█" in str(big.render()) or "▀" in str(big.render())
        # bigger targets, fewer choices: two per row and the QR scan moved off the screen
        assert button.size.width * button.size.height > normal_area
        assert not app.screen.query_one("#home-scan").display
        label = str(button.label)  # the label itself is drawn large, several rows tall
        assert label.count("\n") >= 5 and any(c in label for c in "▀▄█")
        # longer patience in 长辈模式
        app.start_session()
        assert app.idle.timeout == kiosk_config.ui.elder_idle_timeout_s
        assert app.idle.countdown == 2 * kiosk_config.ui.countdown_s
        await pilot.click("#chrome-elder-top")
        await wait_until(pilot, lambda: str(button.label) == "刷身份证")
        assert not app.has_class("-elder") and not big.display
        assert str(button.label) == "刷身份证"


def test_every_language_has_every_text() -> None:
    keys = set(catalog("zh-Hans"))
    for language in LANGUAGES:
        assert set(catalog(language)) == keys, language


async def test_call_staff_from_any_screen(kiosk_config: KioskConfig) -> None:
    app = KioskApp(kiosk_config, start_services=False)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await pilot.click("#chrome-staff")
        await wait_until(pilot, lambda: len(app.staff_calls) == 1)
        assert any("工作人员" in str(n.message) for n in app._notifications)
        _, where, queued = app.staff_calls[0]
        assert where == "HomeScreen" and queued is False  # no outbox here: said so, bell rung
