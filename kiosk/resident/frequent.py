"""The services most residents come for, in one place: offered the moment they identify (a
certificate is three taps from placing the card), driven by the journey tests
(tests/test_most_used_services.py) and counted by `kiosk bench ui`. A province sets its own
lists here; any code the catalog does not have is skipped."""

from __future__ import annotations

from kiosk.resident.service import Service

# The ten most used, most used first: five applications, and five certificates issued on
# the spot from live records.
MOST_USED_APPLICATIONS = ("SB002", "SB004", "YB002", "GJJ002", "MZ004")
MOST_USED_RECORDS = ("SB001", "YB001", "GJJ001", "HJ002", "BDC001")
FREQUENT = MOST_USED_RECORDS[:3]  # 社保参保证明, 医保缴费凭证, 公积金缴存证明
# The five most used: the three certificates offered at once and the two top applications.
FIVE_MOST_USED = (*FREQUENT, *MOST_USED_APPLICATIONS[:2])


def frequent(services: list[Service], limit: int = 3) -> list[Service]:
    by_code = {s.code: s for s in services}
    return [by_code[code] for code in FREQUENT if code in by_code][:limit]
