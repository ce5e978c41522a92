"""What one A4 printer status poll keeps: 3,000 polls in a row against the emulated printer
(a private cupsd), through the adapter's own IPP request and through pycups'
getPrinterAttributes, RSS after a collection and a trim each time (kiosk/devices/a4printer/ipp.py
says why the poll no longer uses pycups).

    .venv/bin/python scripts/a4_poll_memory_probe.py
"""

from __future__ import annotations

import tempfile
import time

import cups

from kiosk.config import load_config
from kiosk.devices.a4printer.adapter import A4Printer
from kiosk.devices.a4printer.status import STATUS_ATTRIBUTES
from kiosk.devices.base import EventHub
from kiosk.services import create_device
from kiosk.soak.run import Usage

POLLS = 3000


def rss_mib() -> float:
    return Usage.now().rss_mib  # after a collection and a trim, as the soak reads it


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        config = load_config(environ={"KIOSK_TERMINAL__DATA_DIR": data_dir})
        printer = create_device("a4printer", config, EventHub())
        assert isinstance(printer, A4Printer)
        printer.start()
        time.sleep(3)  # the emulator's cupsd comes up
        for _ in range(200):  # first calls fill caches
            printer.status()
        conn = cups.Connection(host=printer.host, port=printer.port)
        ways = {
            "the adapter's own IPP request": printer.status,
            "pycups getPrinterAttributes": lambda: conn.getPrinterAttributes(
                printer.queue, requested_attributes=STATUS_ATTRIBUTES
            ),
        }
        for name, poll in ways.items():
            before = rss_mib()
            for _ in range(POLLS):
                poll()
            print(f"{name}: {rss_mib() - before:+.2f} MiB after {POLLS} polls", flush=True)
        printer.stop()


if __name__ == "__main__":
    main()
