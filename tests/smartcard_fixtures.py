"""Fixtures for the smartcard tests: a real pcscd with the vpcd driver, a virtual card slot,
and the adapter under test. Import the fixtures you use into your test module.

Tests use vpcd slot 1 (port 35964, reader "Virtual PCD 00 01") so that an emulated kiosk
(slot 0 by default) running at the same time does not collide with them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from kiosk.devices.base import DeviceEvent, EventHub, EventKind
from kiosk.devices.smartcard import pcsc
from kiosk.devices.smartcard.pcscd import PcscdHandle, ensure_pcscd
from kiosk.devices.smartcard.reader import SmartCardReader
from kiosk.devices.smartcard.vpcd_card import VirtualCardSlot, vpcd_reader_name

TEST_PORT = 35964
TEST_READER = vpcd_reader_name(TEST_PORT)  # "Virtual PCD 00 01"


@dataclass
class PcscdService:
    """The session's use of pcscd; a test that restarts pcscd swaps `handle`."""

    handle: PcscdHandle


@pytest.fixture(scope="session")
def pcscd_service() -> Iterator[PcscdService]:
    # Fails loudly (PcscdError) when pcscd or the vpcd driver is missing.
    service = PcscdService(ensure_pcscd(TEST_READER, timeout=15))
    yield service
    # Stops pcscd if a kiosk process (we) started it and nobody else uses it any more;
    # a pcscd that was running before the tests is left alone.
    service.handle.stop(wait_s=10)


class EventLog:
    """Collects device events; tests wait for the next event of a kind."""

    def __init__(self, hub: EventHub) -> None:
        self.events: list[DeviceEvent] = []
        self._cond = threading.Condition()
        self._seen = 0
        hub.subscribe(self._add)

    def _add(self, event: DeviceEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def kinds(self) -> list[EventKind]:
        with self._cond:
            return [e.kind for e in self.events]

    def next(self, kind: EventKind, timeout: float = 10.0) -> DeviceEvent:
        """The first event of `kind` after the last one returned by `next`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(self._seen, len(self.events)):
                    if self.events[i].kind == kind:
                        self._seen = i + 1
                        return self.events[i]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {kind} event within {timeout} s; got {self.events}")
                self._cond.wait(left)


def wait_reader_empty(reader: str, timeout: float = 5.0) -> None:
    """Block until pcscd itself reports no card in `reader` (so tests do not overlap)."""
    deadline = time.monotonic() + timeout
    with pcsc.Context() as ctx:
        while time.monotonic() < deadline:
            (_, state, _), *_ = ctx.get_status_change(0, [(reader, 0, b"")])
            if not state & pcsc.STATE_PRESENT:
                return
            time.sleep(0.05)
    raise AssertionError(f"{reader} still reports a card after {timeout} s")


@pytest.fixture
def slot(pcscd_service: PcscdService) -> Iterator[VirtualCardSlot]:
    card_slot = VirtualCardSlot(port=TEST_PORT)
    yield card_slot
    card_slot.remove()
    assert not any(t.name == "vpcd-card" and t.is_alive() for t in threading.enumerate())
    wait_reader_empty(TEST_READER)


@pytest.fixture
def events() -> EventHub:
    return EventHub()


@pytest.fixture
def event_log(events: EventHub) -> EventLog:
    return EventLog(events)


@pytest.fixture
def reader(pcscd_service: PcscdService, events: EventHub) -> Iterator[SmartCardReader]:
    device = SmartCardReader(events, reader=TEST_READER, read_timeout_s=10, retry_s=0.2)
    device.start()
    assert device.wait_online(timeout=10), device.health()
    yield device
    device.stop()
    assert not any(t.name == "smartcard-monitor" and t.is_alive() for t in threading.enumerate())
