"""QR decoding for the "scan your phone's code" sign-in.

Choice by measurement (OpenCV 4.14, 640x480, 120 generated codes of 5-120 bytes with Chinese
text, 3-6 px modules, half of them softened; `kiosk bench camera` repeats the timing part):
- cv2.QRCodeDetectorAruco read 109/120, cv2.QRCodeDetector 113/120, and every code one
  missed the other read (none failed both).
- On a frame without a code (what a scanner sees most of the time) Aruco takes ~1.2 ms and
  the classic detector ~6 ms; with a code, ~14 ms vs ~17 ms.
- Whenever Aruco failed to decode it still reported the code's corners.
So "auto" (the default) runs Aruco and, only when Aruco saw a code it could not read, the
classic detector: empty frames stay cheap and no generated code goes unread.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np

Detector = Literal["auto", "aruco", "classic"]

_local = threading.local()  # detectors keep state between calls; one per thread


def _detector(kind: str) -> Any:
    detector = getattr(_local, kind, None)
    if detector is None:
        import cv2

        detector = cv2.QRCodeDetectorAruco() if kind == "aruco" else cv2.QRCodeDetector()
        setattr(_local, kind, detector)
    return detector


def _run(kind: str, frame: np.ndarray) -> tuple[str, bool]:
    """(text, code seen) from one detector; OpenCV errors on odd frames count as nothing."""
    import cv2

    try:
        text, points, _straight = _detector(kind).detectAndDecode(frame)
    except cv2.error:
        return "", False
    return text or "", points is not None


def decode_qr(frame: np.ndarray, detector: Detector = "auto") -> str | None:
    """The text of the QR code in the frame (BGR or grey), or None when there is none or it
    cannot be read. `detector` other than "auto" is for benchmarks and diagnosis."""
    if detector == "auto":
        text, seen = _run("aruco", frame)
        if not text and seen:
            text, _ = _run("classic", frame)
    else:
        text, _ = _run(detector, frame)
    return text or None
