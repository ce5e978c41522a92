"""The emulated reader: the real adapter on the real pcscd, with a virtual card slot on vpcd."""

from __future__ import annotations

import logging
import threading
from typing import Any

from kiosk.devices.base import DeviceHealth, EventHub
from kiosk.devices.smartcard.cards import demo_card
from kiosk.devices.smartcard.reader import SmartCardReader
from kiosk.devices.smartcard.vpcd_card import VPCD_PORT, VirtualCardSlot, vpcd_reader_name

log = logging.getLogger(__name__)


class EmulatedSmartCardReader(SmartCardReader):
    """`emulator` is the vpcd slot: `emulator.insert(card_app)` / `emulator.remove()`.

    Unless `demo_card` names one, nothing is inserted at start, so an idle emulated kiosk
    does not occupy the slot.
    """

    def __init__(
        self,
        events: EventHub,
        *,
        port: int = VPCD_PORT,
        reader: str = "",
        demo_card: str = "",
        **kw: Any,
    ) -> None:
        super().__init__(events, reader=reader or vpcd_reader_name(port), **kw)
        self.emulator = VirtualCardSlot(port=port)
        self.demo_card = demo_card
        self._demo_thread: threading.Thread | None = None

    def start(self) -> None:
        super().start()
        if self.demo_card:
            self._demo_thread = threading.Thread(
                target=self._insert_demo, name="smartcard-demo", daemon=True
            )
            self._demo_thread.start()

    def _insert_demo(self) -> None:
        if not self.wait_online(timeout=15) or self._stopping.is_set():
            return
        try:
            self.emulator.insert(demo_card(self.demo_card))
        except (ConnectionError, ValueError) as exc:
            log.warning("demo card not inserted: %s", exc)

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()  # wake the demo thread's wait_online
        if self._demo_thread is not None:
            self._demo_thread.join(5)
            self._demo_thread = None
        self.emulator.remove()
        super().stop()

    def health(self) -> DeviceHealth:
        h = super().health()
        details = {
            **h.details,
            "emulated": True,
            "vpcd_port": self.emulator.port,
            "virtual_card": type(self.emulator.card).__name__ if self.emulator.card else None,
        }
        return DeviceHealth(h.device, h.state, h.message, details)
