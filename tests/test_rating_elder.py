"""好差评 in 长辈模式 on the large-font grid: 满意 or 不满意 first, then how much, then why;
what reaches the outbox is the GB/T 39046 code, with the reason and the follow-up offer."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.app import KioskApp
from kiosk.resident import actions
from kiosk.resident.identity import QrIdentity
from kiosk.resident.rating import Rating, Satisfaction
from kiosk.resident.steps import Journey, Step
from kiosk.screens.rating import RatingScreen
from tests.conftest import MakeApp, config_for
from tests.touch import Touch

SHOWN_LEVELS = "#rating-levels .level"


def shown(app: KioskApp, selector: str) -> list[str]:
    return [w.id or "" for w in app.screen.query(selector) if w.display]


async def open_rating(app: KioskApp, touch: Touch) -> None:
    session = app.start_session()
    session.identity = QrIdentity("测试者", "110101199003071234")
    service = app.services.catalog.service("SB002")
    assert service is not None
    session.start_service(service)
    journey = Journey.for_service(service, has_camera=False)
    journey.history.extend(journey.steps[: journey.steps.index(Step.RATING) + 1])
    app._advance(journey, Step.RATING)
    await touch.until(lambda: isinstance(app.screen, RatingScreen) and app.screen.is_mounted)


async def test_elder_rating_asks_in_steps_and_keeps_the_five_codes(
    tmp_path: Path, make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Rating] = []
    monkeypatch.setattr(actions, "rate", lambda outbox, session, rating: sent.append(rating))
    app = make_app(config_for(tmp_path, KIOSK_UI__ELDER_MODE="true"), start_services=False)
    async with app.run_test(size=(64, 20)) as pilot:
        touch = Touch(app, pilot)
        await open_rating(app, touch)
        assert shown(app, ".coarse") == ["coarse-good", "coarse-bad"]
        assert shown(app, SHOWN_LEVELS) == []

        await touch.tap("#coarse-good")
        assert shown(app, SHOWN_LEVELS) == ["level-1", "level-2", "level-3"]
        assert "有多满意" in touch.text("#rating-how")
        await touch.tap("#rating-regroup")  # changed their mind
        await touch.tap("#coarse-bad")
        assert shown(app, SHOWN_LEVELS) == ["level-4", "level-5"]

        await touch.tap("#level-5")  # 非常不满意: asks why, three reasons at a time
        assert shown(app, SHOWN_LEVELS) == [] and shown(app, ".reason") == [
            "ind-501", "ind-502", "ind-503"
        ]  # fmt: skip
        await touch.tap("#rating-send")  # no reason yet: asked for one, nothing sent
        assert app.screen.query_one("#rating-need").display and not sent
        await touch.tap("#rating-page")
        assert shown(app, ".reason") == ["ind-504", "ind-505", "ind-599"]
        await touch.tap("#ind-599")
        await touch.tap("#rating-real-name")
        await touch.tap("#rating-send")
        await touch.until(lambda: app.screen.query_one("#rating-thanks").display and sent)
        assert [(r.level, r.indicators, r.real_name) for r in sent] == [
            (Satisfaction.VERY_DISSATISFIED, ("599",), True)
        ]
