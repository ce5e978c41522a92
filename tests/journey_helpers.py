"""Driving a resident's journey in tests: start a service and identify with the synthetic
ID card on the emulated reader, as a resident at the terminal would."""

from __future__ import annotations

from typing import Any

from kiosk.devices.idcard.synthetic import CardType
from tests.conftest import tap, wait_until


async def begin_with_id_card(app: Any, pilot: Any, code: str, *, offline: bool = False) -> None:
    """Open service `code`, place the synthetic resident card, tap 继续. With `offline`, the
    network goes away once the card is read (before the next step needs it)."""
    await wait_until(
        pilot, lambda: app.services.wait_started(0) and app.services.outbox is not None
    )
    await wait_until(pilot, lambda: all(d.health().healthy for d in app.services.devices.values()))
    await pilot.click("#lang-zh-Hans")
    if app.services.catalog.get(code) is None:
        app.services.catalog.refresh(app.services.platform)
    app.call_later(app.begin_service, app.services.catalog.get(code))  # as 开始办理 does
    await wait_until(pilot, lambda: app.screen.query("#idcard-continue"))
    app.services.device("idcard").emulator.place_card(CardType.RESIDENT)
    await wait_until(pilot, lambda: app.screen.query_one("#idcard-continue").display)
    if offline:
        app.services._embedded.stop()
    await tap(pilot, "#idcard-continue")
