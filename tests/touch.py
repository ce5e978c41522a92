"""Driving the kiosk as a resident does: by taps only (no key presses), counting them.

The one physical act that is not a tap is placing a card on the reader, which the emulated
reader does as the real one would see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.devices.idcard.synthetic import CardType
from tests.conftest import tap, wait_until


@dataclass
class Touch:
    app: Any
    pilot: Any
    taps: int = 0
    log: list[str] = field(default_factory=list)

    async def tap(self, selector: str) -> None:
        await tap(self.pilot, selector)
        self.taps += 1
        self.log.append(selector)

    async def until(self, condition: Any, timeout: float = 20.0) -> None:
        await wait_until(self.pilot, condition, timeout)

    async def ready(self) -> None:
        app = self.app
        await self.until(lambda: app.services.wait_started(0) and app.services.outbox is not None)
        await self.until(lambda: all(d.health().healthy for d in app.services.devices.values()))

    def screen_is(self, name: str) -> bool:
        return type(self.app.screen).__name__ == name

    async def place_card(self) -> None:
        self.app.services.device("idcard").emulator.place_card(CardType.RESIDENT)

    async def digits(self, text: str) -> None:
        """Key a number in on the on-screen number pad, then 确定."""
        await self.until(lambda: self.app.screen.query("#pad-done"))
        for ch in text:
            await self.tap("#pad-x" if ch in "Xx" else f"#pad-{ch}")
        await self.tap("#pad-done")

    async def open_service(self, category: str, code: str) -> None:
        """From the home screen: 办事指南 → category → the service (paging if needed) →
        开始办理."""
        app = self.app
        await self.tap("#home-guide")
        await self.until(lambda: self.screen_is("GuideScreen"))
        await self.tap(f"#cat-{category}")
        while not app.screen.query(f"#svc-{code}"):
            await self.tap("#guide-next")
        await self.tap(f"#svc-{code}")
        await self.until(lambda: self.screen_is("ServiceGuideScreen"))
        await self.tap("#service-start")

    async def identify(self) -> None:
        await self.until(lambda: self.screen_is("IdCardScreen"))
        await self.place_card()
        await self.until(lambda: self.app.screen.query_one("#idcard-continue").display)
        await self.tap("#idcard-continue")
