"""A4 printer (for certificates) on CUPS: adapter over IPP (pycups) and, as the emulator,
a private cupsd with a cups-pdf queue. Never imports Textual."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import A4PrinterConfig
from kiosk.devices.a4printer.adapter import A4Printer, JobResult
from kiosk.devices.a4printer.status import A4Status
from kiosk.devices.base import EventHub

__all__ = ["A4Printer", "A4Status", "JobResult", "create"]


def create(section: A4PrinterConfig, events: EventHub, data_dir: Path) -> A4Printer:
    """ "emulated" starts and owns a private cupsd (in a background thread: the kiosk's first
    screen never waits for it); "cups" uses a CUPS server's queue, e.g. the system's."""
    emulator = None
    if section.mode == "emulated":
        from kiosk.devices.a4printer.cupsd import PrivateCupsd

        emulator = PrivateCupsd(data_dir / "a4printer-emulator", section.queue, section.port)
    return A4Printer(events, section.host, section.port, section.queue,
                     poll_interval_s=section.poll_interval_s,
                     job_timeout_s=section.job_timeout_s, emulator=emulator)  # fmt: skip
