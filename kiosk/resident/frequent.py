"""The services most residents come for, offered the moment they identify, so a certificate
is two or three taps from placing the card. A province sets its own list here; any code
the catalog does not have is skipped."""

from __future__ import annotations

from kiosk.resident.service import Service

FREQUENT = ("SB001", "YB001", "GJJ001")  # 社保参保证明, 医保缴费凭证, 公积金缴存证明


def frequent(services: list[Service], limit: int = 3) -> list[Service]:
    by_code = {s.code: s for s in services}
    return [by_code[code] for code in FREQUENT if code in by_code][:limit]
