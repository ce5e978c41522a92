"""Receipt printer: ESC/POS adapter (python-escpos 3.1), virtual printer, renderer.

Public API: `create()`; `ReceiptPrinter`, `PrintResult`, `PrintInterrupted` (adapter);
`Receipt`, `ReceiptError` (receipt); `VirtualPrinter` (emulator). Heavy modules are imported
on first use so importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.config import PrinterConfig
    from kiosk.devices.base import EventHub
    from kiosk.devices.printer.adapter import ReceiptPrinter

_EXPORTS = {
    "ReceiptPrinter": "adapter",
    "PrintResult": "adapter",
    "PrintInterrupted": "adapter",
    "Receipt": "receipt",
    "ReceiptError": "receipt",
    "VirtualPrinter": "emulator",
    "PendingReceipt": "pending",
    "PrinterStatus": "status",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(name)


def create(section: PrinterConfig, events: EventHub, data_dir: Path) -> ReceiptPrinter:
    """The adapter for the configured mode; "emulated" starts and owns a VirtualPrinter on
    127.0.0.1 (ephemeral port) that saves each receipt under data_dir/printer-emulator/."""
    from kiosk.devices.printer.adapter import ReceiptPrinter
    from kiosk.devices.printer.link import network_link, serial_link, usb_link

    data_dir = Path(data_dir).expanduser()
    emulator = None
    if section.mode == "emulated":
        from kiosk.devices.printer.emulator import VirtualPrinter

        emulator = VirtualPrinter(
            "127.0.0.1",
            0,
            width_chars=section.width_chars,
            output_dir=data_dir / "printer-emulator",
        )
        port = emulator.start()
        link = network_link("127.0.0.1", port, section.timeout_s)
    elif section.mode == "network":
        link = network_link(section.host, section.port, section.timeout_s)
    elif section.mode == "serial":
        link = serial_link(section.device, section.baudrate, section.timeout_s, section.dsrdtr)
    elif section.mode == "usb":
        link = usb_link(section.usb_vendor, section.usb_product, section.timeout_s)
    else:
        raise ValueError(f"printer mode {section.mode!r} has no adapter")
    return ReceiptPrinter(
        events,
        link,
        data_dir=data_dir,
        width_chars=section.width_chars,
        profile=section.profile,
        timeout_s=section.timeout_s,
        poll_interval_s=section.poll_interval_s,
        job_timeout_s=section.job_timeout_s,
        confirm_printed=section.confirm_printed,
        emulator=emulator,
    )
