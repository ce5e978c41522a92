"""Driving the kiosk as a resident does in the journey tests: by taps only (no key presses),
counting them, through the one tap driver (kiosk/touchdriver.py) that `kiosk bench ui` and
the soak use too.

The one physical act that is not a tap is placing a card on the reader, which the emulated
reader does as the real one would see it."""

from __future__ import annotations

from textual.pilot import Pilot

from kiosk.app import KioskApp
from kiosk.touchdriver import KioskTouch


class Touch(KioskTouch):
    def __init__(self, app: KioskApp, pilot: Pilot[int], timeout_s: float = 20.0) -> None:
        super().__init__(app, timeout_s)
        self.pilot = pilot
