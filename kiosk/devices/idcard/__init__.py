"""Resident ID card reader (二代证 SAM_A, GA/T 467 serial frames): adapter, emulator, parsers.

The app calls `create(section, events, data_dir)` (see kiosk/services.py). In "emulated"
mode the reader owns a `SamEmulator` on a pseudo-terminal with no card on it; a demo or a
test puts one there with `reader.emulator.place_card("resident")` (or a SamCard from
`kiosk.devices.idcard.synthetic.demo_card`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.config import IdCardConfig
    from kiosk.devices.base import EventHub
    from kiosk.devices.idcard.reader import IdCardReader


def create(section: IdCardConfig, events: EventHub, data_dir: Path) -> IdCardReader:
    from kiosk.devices.idcard.reader import IdCardReader

    emulator = None
    if section.mode == "emulated":
        from kiosk.devices.idcard.emulator import SamEmulator

        emulator = SamEmulator(baudrate=section.baudrate, pace=section.emulator_pace)
        if section.demo_card:
            emulator.place_card(section.demo_card)
    elif section.mode != "serial":
        raise ValueError(f"idcard mode {section.mode!r} has no device")
    return IdCardReader(
        events,
        section.port if emulator is None else "",
        baudrate=section.baudrate,
        poll_interval_s=section.poll_interval_s,
        timeout_s=section.timeout_s,
        reconnect_interval_s=section.reconnect_interval_s,
        read_fingerprints=section.read_fingerprints,
        read_appended_address=section.read_appended_address,
        emulator=emulator,
    )
