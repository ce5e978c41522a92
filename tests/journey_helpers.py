"""Driving a resident's journey in tests: start a service from the home screen and identify
with the synthetic ID card on the emulated reader, by taps, as a resident would."""

from __future__ import annotations

from typing import Any

from tests.touch import Touch


async def begin_with_id_card(app: Any, pilot: Any, code: str, *, offline: bool = False) -> Touch:
    """办事指南 → category → service `code` → 开始办理, place the synthetic resident card,
    tap 继续. With `offline`, the network goes away once the card is read (before the next
    step needs it). Returns the tap counter."""
    touch = Touch(app, pilot)
    await touch.services_up()
    await touch.tap("#lang-zh-Hans")
    await touch.open_service(code)
    await touch.until(lambda: touch.screen_is("IdCardScreen"))
    await touch.place_card()
    await touch.until(lambda: app.screen.query_one("#idcard-continue").display)
    if offline:
        app.services._embedded.stop()
    await touch.tap("#idcard-continue")
    return touch
