"""Document camera (高拍仪): sheet detection, perspective correction, deskew, sharpness and
glare checks, bounded A4 JPEG; the emulator photographs synthetic documents on a desk.
Never imports Textual."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import DocCamConfig
from kiosk.devices.base import EventHub
from kiosk.devices.doccam.adapter import DocumentCamera, EmulatedDesk, UvcSource
from kiosk.devices.doccam.pipeline import Scan

__all__ = ["DocumentCamera", "EmulatedDesk", "Scan", "create"]


def create(section: DocCamConfig, events: EventHub, data_dir: Path) -> DocumentCamera:
    if section.mode == "emulated":
        source: EmulatedDesk | UvcSource = EmulatedDesk(section.width, section.height)
    else:
        source = UvcSource(section.source, section.width, section.height)
    return DocumentCamera(events, source, max_bytes=section.max_kib * 1024)
