"""Social security card and bank card reader over PC/SC (pcscd), plus its vpcd emulator.

Modules: apdu (ISO 7816 bytes, BER-TLV), pcsc (lazy pyscard wrapper), pcscd (find or start
the daemon), cards (synthetic card applications), vpcd_card (virtual card on vpcd's TCP
protocol), ssc / emv (what to send to read each card), reader (the Device adapter).
pyscard is imported only when a PC/SC call is made, never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from kiosk.config import SmartCardConfig
    from kiosk.devices.base import EventHub
    from kiosk.devices.smartcard.reader import SmartCardReader

    class _ReaderOptions(TypedDict):  # what both readers take alike
        start_pcscd: bool
        pcscd_log: Path
        read_timeout_s: float


def create(section: SmartCardConfig, events: EventHub, data_dir: Path) -> SmartCardReader:
    """mode "pcsc": the real readers (name substring from `section.reader`);
    mode "emulated": a virtual card slot on vpcd that the demo inserts cards into
    (`device.emulator.insert(cards.SocialSecurityCardApp())`, `device.emulator.remove()`)."""
    from kiosk.devices.smartcard.reader import SmartCardReader

    options: _ReaderOptions = {
        "start_pcscd": section.start_pcscd,
        "pcscd_log": Path(data_dir).expanduser() / "logs" / "pcscd.log",
        "read_timeout_s": section.read_timeout_s,
    }
    if section.mode == "emulated":
        from kiosk.devices.smartcard.emulated import EmulatedSmartCardReader

        return EmulatedSmartCardReader(
            events,
            port=section.vpcd_port,
            reader=section.reader,
            demo_card=section.demo_card,
            **options,
        )
    return SmartCardReader(events, reader=section.reader, **options)
