"""Document camera (高拍仪) benchmarks on the emulator's photos (1600x1200, a page skewed on a
desk, whose true corners are known):
- corner error: mean distance (px) from each found corner to the true one;
- sheet detection and the whole page pipeline (detect, rectify, deskew, checks, JPEG) per
  frame, against the raw frame grab a UVC 高拍仪 costs (decoding its MJPEG frame).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from kiosk.bench import BenchResult

if TYPE_CHECKING:
    import numpy as np

ORDER = 45


def run(quick: bool) -> Iterable[BenchResult]:
    import cv2
    import numpy as np

    from kiosk.devices.doccam import pipeline
    from kiosk.devices.doccam.synthetic import desk_photo

    photos = [desk_photo(seed) for seed in range(4 if quick else 16)]
    mjpeg = [cv2.imencode(".jpg", p.frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1] for p in photos]
    errors, missed = [], 0
    for photo in photos:
        found = pipeline.find_sheet(photo.frame)
        if found is None:
            missed += 1
            continue
        errors.extend(np.linalg.norm(found - photo.corners, axis=1).tolist())
    yield BenchResult.compare(
        "doccam.corner_error_px", float(np.mean(errors)) if errors else float("nan"), "px",
        None, f"max {max(errors):.2f} px over {len(errors)} corners; {missed} sheets missed",
    )  # fmt: skip

    def per_frame(work: Callable[[np.ndarray], object] | None) -> float:
        rounds = 2 if quick else 4
        start = time.perf_counter()
        for _ in range(rounds):
            for data in mjpeg:
                frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
                if frame is None:
                    raise RuntimeError("OpenCV cannot decode the JPEG it just encoded")
                if work is not None:
                    work(np.asarray(frame))
        return (time.perf_counter() - start) / (rounds * len(mjpeg)) * 1000

    grab = per_frame(None)
    detect = per_frame(pipeline.find_sheet) - grab
    full = per_frame(lambda frame: pipeline.scan(frame)) - grab
    yield BenchResult.compare("doccam.detect_ms_per_frame", detect, "ms", grab,
                              "sheet detection alone vs the raw frame grab (MJPEG decode)")  # fmt: skip
    yield BenchResult.compare("doccam.scan_ms_per_frame", full, "ms", grab,
                              "detect + rectify + deskew + checks + JPEG vs the raw grab")  # fmt: skip
