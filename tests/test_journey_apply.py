"""The whole resident journey on emulated devices and the built-in platform: identify with
the ID card, fill the form (card fields never typed), submit, receipt printed, rate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kiosk import journey
from kiosk.app import KioskApp
from kiosk.config import KioskConfig, load_config
from kiosk.devices.idcard.synthetic import DEMO_FIELDS, CardType
from kiosk.privacy import mask_id_number
from kiosk.screens.form import FormScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.idcard import IdCardScreen
from kiosk.screens.rating import RatingScreen
from kiosk.screens.record import RecordScreen
from kiosk.screens.submitted import SubmittedScreen
from tests.conftest import FakeClock, tap, wait_until
from tests.journey_helpers import begin_with_id_card

RESIDENT = DEMO_FIELDS[CardType.RESIDENT]  # synthetic


@pytest.fixture
def config(tmp_path: Path) -> KioskConfig:
    return load_config(
        environ={
            "KIOSK_TERMINAL__DATA_DIR": str(tmp_path / "data"),
            "KIOSK_DEVICES__SMARTCARD__MODE": "off",
            "KIOSK_DEVICES__CAMERA__MODE": "off",
        }
    )


@pytest.fixture
async def app(config: KioskConfig, clock: FakeClock) -> AsyncIterator[KioskApp]:
    app = KioskApp(config, clock=clock)
    yield app
    app.services.stop()


async def test_apply_print_receipt_and_rate(app: KioskApp) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        await begin_with_id_card(app, pilot, "SB002")  # 社会保障卡补换领
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        shown = " ".join(str(w.render()) for w in form.query(".form-card-field"))
        assert mask_id_number(RESIDENT["id_number"]) in shown and RESIDENT["id_number"] not in shown
        key = app.session.transaction_key
        assert key  # made when the transaction started

        await tap(pilot, "#form-submit")  # nothing chosen yet: told what is missing
        await pilot.pause()
        assert form.query_one("#form-missing").display
        assert "补换原因" in str(form.query_one("#form-missing").render())

        await pilot.click("Button.option")  # first reason
        await pilot.click("#in-phone")
        await pilot.press(*"13800001111")
        await tap(pilot, "#form-submit")
        await wait_until(pilot, lambda: isinstance(app.screen, SubmittedScreen))
        screen = app.screen
        await wait_until(
            pilot, lambda: "回执已打印" in str(screen.query_one("#submitted-print").render())
        )

        # exactly one application, with the key made at the start, delivered to the platform
        assert screen.submission.key == key
        outbox = app.services.outbox
        await wait_until(pilot, lambda: outbox.reference_for(key) is not None)
        reference = outbox.reference_for(key)
        progress = app.services.platform.progress(screen.submission.local_ref)
        assert progress["reference"] == reference

        printed = app.services.device("printer").emulator.jobs[-1]
        assert printed.complete and "受理回执" in printed.text
        # online the platform's number is on paper; on a slow machine the terminal's own
        # (the sync answers after the receipt's short wait), and it traces to the same one
        assert reference in printed.text or screen.submission.local_ref in printed.text
        assert RESIDENT["id_number"] not in printed.text and "138****1111" in printed.text

        await tap(pilot, "#submitted-rate")
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen))
        await pilot.click("#level-2")  # 不满意 asks why
        assert app.screen.query_one("#rating-indicators").display
        await tap(pilot, "#ind-1")
        await tap(pilot, "#rating-send")
        await pilot.pause()
        assert app.screen.query_one("#rating-thanks").display
        # queued off the UI thread: it appears in the outbox (or already delivered)
        await wait_until(pilot, lambda: "rating" in _queued_or_delivered(app))


def _queued_or_delivered(app: KioskApp) -> list[str]:
    outbox = app.services.outbox
    stats = outbox.stats()
    kinds = []
    if stats.depth or stats.delivered_kept:
        rows = outbox._conn.execute(  # inspect the real SQLite file
            "SELECT kind FROM outbox UNION ALL SELECT kind FROM delivered"
        ).fetchall()
        kinds = [r[0] for r in rows]
    return kinds


async def test_offline_application_still_gets_a_receipt(app: KioskApp) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        await begin_with_id_card(app, pilot, "SB002")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen))
        app.services._embedded.stop()  # the network goes away mid-journey
        await pilot.click("Button.option")
        await pilot.click("#in-phone")
        await pilot.press(*"13800001111")
        await tap(pilot, "#form-submit")
        await wait_until(pilot, lambda: isinstance(app.screen, SubmittedScreen))
        screen = app.screen
        await wait_until(
            pilot, lambda: "回执已打印" in str(screen.query_one("#submitted-print").render())
        )
        assert screen.submission.platform_ref == ""
        printed = app.services.device("printer").emulator.jobs[-1].text
        assert screen.submission.local_ref in printed and "待联网后生成" in printed
        assert app.services.outbox.stats().depth >= 1  # waiting to sync, not lost


@pytest.fixture
async def face_app(tmp_path: Path, clock: FakeClock) -> AsyncIterator[KioskApp]:
    """With the emulated camera: records need the face verified by the platform first."""
    config = load_config(environ={
        "KIOSK_TERMINAL__DATA_DIR": str(tmp_path / "data"),
        "KIOSK_DEVICES__SMARTCARD__MODE": "off",
        "KIOSK_DEVICES__CAMERA__EMULATED_SCENE": "face",  # a drawn face, no real person
    })  # fmt: skip
    app = KioskApp(config, clock=clock)
    yield app
    app.services.stop()


async def test_record_without_a_face_check_is_not_given_out(app: KioskApp) -> None:
    """No camera, so no verification: the platform refuses the record and the resident is
    sent to a counter (nothing printed)."""
    async with app.run_test(size=(160, 45)) as pilot:
        await begin_with_id_card(app, pilot, "SB001")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordScreen))
        screen = app.screen
        await wait_until(
            pilot, lambda: "需先核验本人" in str(screen.query_one("#record-status").render())
        )
        assert not app.services.device("printer").emulator.jobs


async def test_record_is_printed_masked(face_app: KioskApp) -> None:
    app = face_app
    async with app.run_test(size=(160, 45)) as pilot:
        await begin_with_id_card(app, pilot, "SB001")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordScreen), timeout=40)
        screen = app.screen
        await wait_until(
            pilot, lambda: "证明已打印" in str(screen.query_one("#record-status").render())
        )
        printed = app.services.device("printer").emulator.jobs[-1].text
        flat = "".join(printed.split())  # the title wraps on 58 mm paper
        assert "社会保险个人参保证明" in flat and "待联网" not in flat
        assert (
            RESIDENT["id_number"] not in printed
            and mask_id_number(RESIDENT["id_number"]) in printed
        )
        await tap(pilot, "#record-home")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and app.session is None


async def test_record_needs_the_network_and_says_so(app: KioskApp) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        await begin_with_id_card(app, pilot, "SB001", offline=True)
        await wait_until(pilot, lambda: isinstance(app.screen, RecordScreen))
        screen = app.screen
        await wait_until(
            pilot, lambda: "网络暂时不通" in str(screen.query_one("#record-status").render())
        )
        assert "取号" in str(screen.query_one("#record-status").render())  # what still works
        assert app.is_running


def test_rating_levels_follow_the_national_scale() -> None:
    assert [code for code, _ in journey.RATING_LEVELS] == [5, 4, 3, 2, 1]
    item = journey.rating_item(1, ["设备故障"], "", "SB002", "ZW1")
    assert item["channel"] == "自助终端" and item["level_name"] == "非常不满意"
    with pytest.raises(ValueError):
        journey.rating_item(6, [], "", "SB002", "ZW1")


async def test_home_mid_journey_ends_the_session_for_the_next_person(app: KioskApp) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        await begin_with_id_card(app, pilot, "SB002")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen))
        first_key = app.session.transaction_key
        await pilot.click("#chrome-home")  # resident A walks away from the form
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and app.session is None
        # resident B starts the same service: asked for their own card, new transaction
        app.call_later(app.begin_service, app.services.catalog.get("SB002"))
        await wait_until(pilot, lambda: isinstance(app.screen, IdCardScreen))
        assert app.session.identity is None and app.session.transaction_key != first_key


async def test_chrome_works_on_the_rating_screen(app: KioskApp) -> None:
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.services.wait_started(0))
        await pilot.click("#lang-zh-Hans")
        submission = journey.Submission(
            "k", "KIOSK-DEMO-0001-20261122-000001", "SB002", "社会保障卡补换领", "测*一"
        )
        await app.push_screen(RatingScreen({"code": "SB002"}, submission))
        await pilot.click("#chrome-staff")
        await pilot.click("#lang-en")
        await pilot.pause()
        assert app.staff_calls == 1 and app.language == "en"
        await pilot.click("#chrome-home")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
