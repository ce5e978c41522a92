"""A resident's journeys on the emulated devices and the built-in platform, end to end."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from kiosk.app import KioskApp
from kiosk.devices.idcard.card import IdCard
from kiosk.devices.idcard.synthetic import DEMO_FIELDS, CardType
from kiosk.privacy import mask_id_number
from kiosk.screens.guide import GuideScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.idcard import IdCardScreen
from kiosk.screens.service_guide import ServiceGuideScreen
from tests.conftest import FakeClock, MakeApp, config_for, tap, wait_until

RESIDENT = DEMO_FIELDS[CardType.RESIDENT]  # synthetic: not a real person


def screen_text(app: KioskApp) -> str:
    return "\n".join(
        str(w.render()) for s in app.screen_stack for w in s.query("*") if hasattr(w, "render")
    )


@pytest.fixture
def app(tmp_path: Path, make_app: MakeApp) -> KioskApp:
    """Emulated ID card reader and the built-in platform; other devices off to stay quick."""
    return make_app(config_for(tmp_path, on=("idcard",)))


async def test_id_card_read_is_masked_and_wiped_on_timeout(app: KioskApp, clock: FakeClock) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(
            pilot, lambda: app.services.wait_started(0) and "idcard" in app.services.devices
        )
        reader = app.services.device("idcard")
        await wait_until(pilot, lambda: reader.health().healthy)
        await pilot.click("#home-idcard")
        await wait_until(pilot, lambda: isinstance(app.screen, IdCardScreen))
        # cards other tests left behind (e.g. in a failed test's traceback) are not ours
        earlier = {id(o) for o in gc.get_objects() if isinstance(o, IdCard)}
        reader.emulator.place_card(CardType.RESIDENT)
        await wait_until(
            pilot, lambda: app.session is not None and app.session.identity is not None
        )
        await pilot.pause()
        identity = app.session.identity
        card = identity.card  # the IdCard the reader returned, behind the Identity
        del identity
        shown = screen_text(app)
        assert mask_id_number(RESIDENT["id_number"]) in shown
        assert RESIDENT["id_number"] not in shown and RESIDENT["name"] not in shown
        assert "读取成功" in shown
        # the card is still on the reader: the resident is told to take it
        assert app.screen.query_one("#idcard-take").display

        clock.advance(app.idle.timeout + app.idle.countdown + 1)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and app.session is None
        assert card.id_number == "" and card.name == "" and len(card.photo) == 0
        assert RESIDENT["id_number"][-4:] not in screen_text(app)
        del card  # the test's own reference; nothing in the kiosk may keep one
        gc.collect()
        assert not [o for o in gc.get_objects() if isinstance(o, IdCard) and id(o) not in earlier]
        # the card is still on the reader: the home screen says so until it is taken
        message = app.screen.query_one("#home-message")
        assert message.display and "身份证还在读卡区" in str(message.render())
        reader.emulator.remove_card()
        await wait_until(pilot, lambda: not message.display)


async def test_card_pulled_mid_read_tells_the_resident_what_to_do(app: KioskApp) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: "idcard" in app.services.devices)
        reader = app.services.device("idcard")
        await wait_until(pilot, lambda: reader.health().healthy)
        await pilot.click("#home-idcard")
        await wait_until(pilot, lambda: isinstance(app.screen, IdCardScreen))
        screen = app.screen
        screen.read("idcard")  # nothing on the reader yet
        await wait_until(pilot, lambda: screen.query_one("#idcard-retry").display)
        assert "没有检测到证件" in str(screen.query_one("#idcard-status").render())
        assert app.session.identity is None


async def search_by_keyboard(app: KioskApp, pilot: object, letters: str) -> None:
    """搜索 → the on-screen keyboard → letters → 确定, all by taps."""
    await tap(pilot, "#guide-search")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "FieldInputScreen")
    await tap(pilot, "#kb-mode")  # 中/英: the letters themselves (initials), not hanzi
    await wait_until(pilot, lambda: app.screen.query_one("#kb-mode").has_class("-on"))
    for letter in letters:
        await tap(pilot, f"#kb-{letter}")
    await tap(pilot, "#kb-done")
    await wait_until(pilot, lambda: isinstance(app.screen, GuideScreen))
    await pilot.pause()


async def test_find_a_service_by_pinyin_initials_and_read_its_guide(app: KioskApp) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.services.platform is not None)
        await pilot.click("#home-guide")
        await wait_until(pilot, lambda: isinstance(app.screen, GuideScreen))
        await wait_until(pilot, lambda: app.services.catalog.fresh)
        await pilot.pause()
        await search_by_keyboard(app, pilot, "sbzm")
        items = [str(b.label) for b in app.screen.query("#guide-list Button.service")]
        assert items and any("参保证明" in name for name in items)
        await pilot.click("#guide-list Button.service")  # a touch on the first result
        await wait_until(pilot, lambda: isinstance(app.screen, ServiceGuideScreen))
        body = app.screen.query_one("#service-guide")  # paged to the screen's height
        await wait_until(pilot, lambda: "办理条件" in str(body.render()))
        guide = str(body.render())
        assert "办理条件" in guide and "所需材料" in guide and "收费标准" in guide
        # the catalog is cached for an offline day
        assert (Path(app.config.terminal.data_path) / "catalog.json").exists()
