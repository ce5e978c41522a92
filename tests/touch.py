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
        # a screen just pushed mounts its nested widgets a moment after its top-level ones
        await self.until(lambda: self.app.screen.query(selector))
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
        await self.pilot.pause()
        while not app.screen.query(f"#cat-{category}"):  # 长辈模式 pages categories by four
            await self.tap("#guide-next")
            await self.pilot.pause()
        await self.tap(f"#cat-{category}")
        while not app.screen.query(f"#svc-{code}"):
            await self.tap("#guide-next")
        await self.tap(f"#svc-{code}")
        await self.until(lambda: self.screen_is("ServiceGuideScreen"))
        await self.tap("#service-start")

    async def identify(self) -> None:
        """Place the card (taking off one left by the last resident first: a card left
        behind is never read for the next person)."""
        await self.until(lambda: self.screen_is("IdCardScreen"))
        reader = self.app.services.device("idcard")
        if reader.card_present:
            reader.emulator.remove_card()
            await self.until(lambda: "idcard" not in self.app.stale_cards)
        await self.place_card()
        await self.until(lambda: self.app.screen.query_one("#idcard-continue").display)
        await self.tap("#idcard-continue")


# How a resident answers each field of the most used services, by taps.
PAD_ANSWERS = {"phone": "13800001111", "amount": "2000", "bank_card": "6222020200112233"}
REGION_PATH = ("440000", "440100", "440106")  # 广东省 › 广州市 › 天河区


async def answer_form(touch: Touch) -> int:
    """Fill every field the resident answers on the form on screen, by taps; returns how
    many characters were keyed on pads (typing is the last resort: counted)."""
    app = touch.app
    service = app.session.service
    keyed = 0
    for item in service.resident_fields:
        kind = item.input_kind.value
        if kind == "choice":
            await touch.tap(f'#form-fields Button.option.{_choice_class(item.name)}')
            continue
        await touch.tap(f"#field-{item.name}")
        await touch.until(lambda: touch.screen_is("FieldInputScreen"))
        if kind in ("phone", "digits", "id_number"):
            value = PAD_ANSWERS[item.name if item.name in PAD_ANSWERS else "phone"]
            await touch.digits(value)
            keyed += len(value)
        elif kind == "date":
            await touch.tap("#date-done")  # today, within the field's bounds
        elif kind == "region":  # down to the field's level: the picker closes there
            for code in REGION_PATH:
                if not touch.screen_is("FieldInputScreen"):
                    break
                while not app.screen.query(f"#region-{code}"):
                    await touch.tap("#region-next")
                await touch.tap(f"#region-{code}")
                await touch.pilot.pause()
        else:
            raise AssertionError(f"no touch answer for {item.name} ({kind})")
        await touch.until(lambda: touch.screen_is("FormScreen"))
    return keyed


def _choice_class(name: str) -> str:
    return f"-opt-{name}"
