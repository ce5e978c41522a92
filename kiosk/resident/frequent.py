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
# Offered the moment a resident identifies, as quick buttons: the five most used, i.e. the
# three certificates (社保参保证明, 医保缴费凭证, 公积金缴存证明) and the two top applications
# (社会保障卡补换领, 养老认证). 长辈模式 keeps the certificates only (four choices with 更多服务).
FREQUENT = MOST_USED_RECORDS[:3]
FIVE_MOST_USED = (*FREQUENT, *MOST_USED_APPLICATIONS[:2])


def frequent(services: list[Service]) -> list[Service]:
    """The quick buttons' services, most used first (those in the catalog)."""
    by_code = {s.code: s for s in services}
    return [by_code[code] for code in FIVE_MOST_USED if code in by_code]
