"""Screens the app keeps and shows again (issue 7: building a screen is what made a tap slow):
the next resident finds them as a new screen would be, in their language, with nothing of
the last resident on them."""

from __future__ import annotations

from textual.pilot import Pilot

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from kiosk.resident.identity import QrIdentity
from kiosk.resident.session import Submission
from kiosk.resident.steps import Journey, Step
from tests.conftest import FakeClock, tap, wait_until

# Synthetic residents (not real people); the ID numbers' check digits are valid.
FIRST = QrIdentity("测试长者", "11010519491231002X", "男", "1949-12-31")
SECOND = QrIdentity("演示居民", "110105195001010015", "男", "1950-01-01")


def shown(app: KioskApp) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("Static"))


def held(app: KioskApp) -> str:
    """Everything the kept screens show, shown now or not."""
    return " ".join(str(w.render()) for s in app._kept.values() for w in s.query("Static"))


async def to_review(pilot: Pilot[int], identity: QrIdentity, phone: str) -> None:
    app = pilot.app
    assert isinstance(app, KioskApp)
    session = app.start_session()
    session.identity = identity
    service = app.services.catalog.service("SB002")
    assert service is not None
    session.start_service(service)
    session.answers.update({"reason": "lost", "phone": phone})
    journey = Journey.for_service(service, has_camera=False)
    journey.history.extend(journey.steps[: journey.steps.index(Step.REVIEW) + 1])
    app._advance(journey, Step.REVIEW)
    await wait_until(pilot, lambda: phone[-4:] in shown(app))


async def to_receipt(pilot: Pilot[int], key: str, reference: str) -> None:
    app = pilot.app
    assert isinstance(app, KioskApp) and app.session is not None and app.journey is not None
    app.session.submission = Submission(key, reference, "SB002", "社会保障卡补换领", "*")
    app.journey.history.append(Step.RECEIPT)
    app._advance(app.journey, Step.RECEIPT)
    await wait_until(pilot, lambda: reference in shown(app))


async def test_review_and_receipt_hold_nothing_of_the_last_resident(
    kiosk_config: KioskConfig,
) -> None:
    app = KioskApp(kiosk_config, start_services=False, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        await tap(pilot, "#lang-zh-Hans")
        await to_review(pilot, FIRST, "13800001111")
        review = app.screen
        assert "1111" in shown(app) and "002X" in shown(app)
        await to_receipt(pilot, "k1", "L-0001")
        receipt = app.screen

        await tap(pilot, "#submitted-done")  # 完成: the session ends
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HomeScreen")
        await pilot.pause()
        for gone in ("1111", "002X", "L-0001", "测"):
            assert gone not in held(app)

        await to_review(pilot, SECOND, "13900002222")
        assert app.screen is review  # shown again, not built again
        assert "2222" in shown(app) and "0015" in shown(app)
        assert "1111" not in shown(app) and "002X" not in shown(app)
        assert not app.screen.query_one("#review-submit").disabled
        await to_receipt(pilot, "k2", "L-0002")
        assert app.screen is receipt
        assert "L-0001" not in shown(app)


async def test_the_guide_starts_over_in_the_next_residents_language(
    kiosk_config: KioskConfig,
) -> None:
    app = KioskApp(kiosk_config, start_services=False, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        await tap(pilot, "#lang-zh-Hans")
        await tap(pilot, "#home-guide")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "GuideScreen")
        guide = app.screen
        all_first = [b.id for b in guide.query("#guide-list Button")]
        await tap(pilot, "#cat-civil_affairs")
        await wait_until(pilot, lambda: bool(app.screen.query("#svc-MZ004")))
        await tap(pilot, "#chrome-home")  # nothing entered: straight home, the session ends
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HomeScreen")

        await tap(pilot, "#lang-en")  # the next resident reads English
        await tap(pilot, "#home-guide")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "GuideScreen")
        assert app.screen is guide
        await pilot.pause()
        assert [b.id for b in guide.query("#guide-list Button")] == all_first
        assert not guide.query(".category.-chosen")
        assert str(guide.query_one("#cat-civil_affairs").render()) == "Civil affairs"
        assert "Service guide" in shown(app)
