"""Snapshots of every resident screen, normal and 长辈模式 (pytest-textual-snapshot; run with
`--snapshot-update` after looking at the new pictures). Built without devices or platform,
so what they show is fixed; the clock in the top bar is pinned."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from kiosk.app import KioskApp
from kiosk.resident.identity import QrIdentity
from kiosk.resident.session import Submission
from kiosk.resident.steps import Journey, Step
from kiosk.screens.countdown import CountdownScreen
from tests.conftest import DEVICES, FakeClock, config_for, tap, wait_until

# Synthetic resident (not a real person); the ID number's check digit is valid.
RESIDENT = QrIdentity("测试长者", "11010519491231002X", "男", "1949-12-31")


async def settle(pilot: Pilot[int]) -> None:
    await pilot.hover(None, offset=(0, 0))
    await pilot.pause()
    await pilot.pause()


async def start_sb002(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, KioskApp)
    app.start_session().identity = QrIdentity(**vars(RESIDENT))
    app.begin_service(app.services.catalog.service("SB002"))
    await wait_until(pilot, lambda: type(app.screen).__name__ == "FormScreen")
    await pilot.pause()


async def filled_sb002(pilot: Pilot[int]) -> None:
    await start_sb002(pilot)
    await tap(pilot, "#form-fields Button.option")
    pilot.app.session.answers["phone"] = "13800001111"  # type: ignore[attr-defined]
    pilot.app.screen.refresh_fields()  # type: ignore[attr-defined]


async def review(pilot: Pilot[int]) -> None:
    await filled_sb002(pilot)
    await tap(pilot, "#form-next")
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "ReviewScreen")


async def after_submit(pilot: Pilot[int], step: Step, wait_for: str) -> None:
    await review(pilot)
    app = pilot.app
    assert isinstance(app, KioskApp) and app.session is not None and app.journey is not None
    app.session.submission = Submission(
        "k1", "KIOSK-DEMO-0001-20261201-000007", "SB002", "社会保障卡补换领", "测**者"
    )
    app.journey.history.append(Step.RECEIPT)
    if step is Step.RATING:
        app.journey.history.append(Step.RATING)
    app._advance(app.journey, step)
    await wait_until(pilot, lambda: bool(app.screen.query(wait_for)))


async def submitted(pilot: Pilot[int]) -> None:
    await after_submit(pilot, Step.RECEIPT, "#submitted-ref")
    status = pilot.app.screen.query_one("#submitted-print")
    await wait_until(
        pilot, lambda: "打印" not in str(status.render()) or "失败" in str(status.render())
    )


async def rating_why(pilot: Pilot[int]) -> None:
    """A low rating asks why (in 长辈模式 after 不满意 first, the reasons three at a time)."""
    await after_submit(pilot, Step.RATING, "#rating-levels")
    app = pilot.app
    assert isinstance(app, KioskApp)
    if app.elder:
        await tap(pilot, "#coarse-bad")
    await tap(pilot, "#level-4")
    await wait_until(pilot, lambda: app.screen.query_one("#rating-indicators").display)


def by_taps(*selectors: str) -> Callable[[Pilot[int]], Awaitable[None]]:
    async def run(pilot: Pilot[int]) -> None:
        for selector in selectors:
            await wait_until(pilot, lambda s=selector: bool(pilot.app.screen.query(s)))
            await tap(pilot, selector)
            await pilot.pause()

    return run


async def phone_pad(pilot: Pilot[int]) -> None:
    await filled_sb002(pilot)
    await tap(pilot, "#field-phone")
    await wait_until(pilot, lambda: bool(pilot.app.screen.query("#pad-done")))


async def confirm_home(pilot: Pilot[int]) -> None:
    await filled_sb002(pilot)
    await tap(pilot, "#chrome-home")
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "ConfirmHomeScreen")


async def countdown(pilot: Pilot[int]) -> None:
    await start_sb002(pilot)
    app = pilot.app
    assert isinstance(app, KioskApp) and isinstance(app.idle.clock, FakeClock)
    app.idle.clock.advance(app.idle.timeout + 5)  # the resident has gone quiet
    app.check_inactivity()
    await wait_until(pilot, lambda: isinstance(app.screen, CountdownScreen))


async def step_alone(pilot: Pilot[int], code: str, step: Step, wait_for: str) -> None:
    """A step shown on its own (no devices or platform here: it says so)."""
    app = pilot.app
    assert isinstance(app, KioskApp)
    session = app.start_session()
    session.identity = QrIdentity(**vars(RESIDENT))
    service = app.services.catalog.service(code)
    assert service is not None
    session.start_service(service)
    journey = Journey.for_service(service, has_camera=True)
    journey.history.extend(s for s in journey.steps[: journey.steps.index(step) + 1])
    app._advance(journey, step)
    await wait_until(pilot, lambda: bool(app.screen.query(wait_for)))
    status = app.screen.query_one(wait_for)
    await wait_until(pilot, lambda: "正在" not in str(status.render()))


async def open_scan(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, KioskApp)
    app.open_journey("scan")
    await wait_until(pilot, lambda: bool(app.screen.query("#scan-status")))
    await wait_until(pilot, lambda: "摄像头" in str(app.screen.query_one("#scan-status").render()))


SCREENS: dict[str, Callable[[Pilot[int]], Awaitable[None] | None]] = {
    "home": lambda pilot: None,
    "guide": by_taps("#home-guide", "#cat-social_security"),
    "service_guide": by_taps("#home-guide", "#cat-social_security", "#svc-SB002"),
    "idcard": by_taps("#home-idcard"),
    "form": filled_sb002,
    "phone_pad": phone_pad,
    "review": review,
    "submitted": submitted,
    "rating": lambda pilot: after_submit(pilot, Step.RATING, "#rating-levels"),
    "rating_why": rating_why,
    "scan": lambda pilot: open_scan(pilot),  # 长辈模式 hides its button; the screen stays
    "face": lambda pilot: step_alone(pilot, "SB002", Step.FACE, "#face-status"),
    "record": lambda pilot: step_alone(pilot, "SB001", Step.RECORD, "#record-status"),
    "ticket": by_taps("#home-ticket"),
    "progress": by_taps("#home-progress"),
    "confirm_home": confirm_home,
    "countdown": countdown,
}


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_resident_screen_snapshot(
    snap_compare, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, screen: str, elder: bool
) -> None:
    monkeypatch.setattr(time, "strftime", lambda fmt, *args: "2026-12-01 09:30")
    config = config_for(tmp_path, on=DEVICES, KIOSK_UI__ELDER_MODE="true" if elder else "false")
    app = KioskApp(config, start_services=False, clock=FakeClock())

    async def run_before(pilot: Pilot[int]) -> None:
        step = SCREENS[screen](pilot)
        if step is not None:
            await step
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
