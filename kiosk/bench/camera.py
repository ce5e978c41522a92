"""Camera benchmarks: face-check frame rate and QR decode time at 640x480.

Baselines measured in the same run on the same frames:
- face check fps vs raw grab + grey conversion from the same video file (how much of the
  camera's rate survives the check), and vs Haar at full resolution (what downscaling buys);
- QR decode time of Aruco and of "auto" vs the classic cv2.QRCodeDetector;
- delivered frame rate of the capture thread vs the configured rate.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.bench import BenchResult

if TYPE_CHECKING:
    import numpy as np

    Work = Callable[[np.ndarray], object]

ORDER = 70


def _frames_per_second(path: Path, n: int, work: Work) -> float:
    """Read n frames from the video (looping) and run work on each; frames per second."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    done = 0
    start = time.perf_counter()
    while done < n:
        ok, frame = cap.read()
        if not ok:
            cap.release()
            cap = cv2.VideoCapture(str(path))
            continue
        work(frame)
        done += 1
    elapsed = time.perf_counter() - start
    cap.release()
    return n / elapsed


def _ms_per_frame(frames: list[np.ndarray], decode: Work, repeat: int) -> tuple[float, int]:
    """Mean ms per frame over `repeat` passes, and how many frames decoded."""
    decoded = sum(1 for f in frames if decode(f))  # also warms the detector
    start = time.perf_counter()
    for _ in range(repeat):
        for f in frames:
            decode(f)
    return (time.perf_counter() - start) * 1000 / (repeat * len(frames)), decoded


def run(quick: bool) -> Iterable[BenchResult]:
    import cv2

    from kiosk.devices.camera.face import _cascade, check_face, to_gray
    from kiosk.devices.camera.qr import decode_qr
    from kiosk.devices.camera.synthetic import blank_frame, qr_frame, scene_frames, write_video

    n = 30 if quick else 150
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-camera-") as tmp:
        video = write_video(Path(tmp) / "face.avi", scene_frames("face", "", 15), 15)

        check_face(blank_frame())  # load the cascade outside the timing
        grab = _frames_per_second(video, n, lambda f: cv2.cvtColor(f, cv2.COLOR_BGR2GRAY))
        checked = _frames_per_second(video, n, check_face)

        def haar_full(frame: np.ndarray) -> object:
            gray = cv2.equalizeHist(to_gray(frame))
            return _cascade().detectMultiScale(gray, 1.1, 5, minSize=(60, 60))

        full = _frames_per_second(video, max(10, n // 3), haar_full)
        yield BenchResult.compare(
            "camera.face_check_fps_640x480", checked, "fps", grab,
            "baseline: grab+grey conversion from the same MJPG file",
        )  # fmt: skip
        yield BenchResult.compare(
            "camera.face_check_vs_haar_fullres", checked, "fps", full,
            "baseline: Haar detect alone at full 640x480 (check_face detects at 320 px wide)",
        )  # fmt: skip

        texts = [
            "KIOSK-TICKET-000123",
            "https://zwfw.example.gov.cn/s?code=8f3a2c",
            "电子社保卡 一码通办 测试 0001",
            "繁體中文：辦事指南 A-17",
            "预约号 B-0042 " * 4,
            "x" * 120,
        ]
        codes = [qr_frame(t, module_px=px) for t in texts for px in (4, 6)]
        repeat = 1 if quick else 5
        classic_ms, classic_ok = _ms_per_frame(codes, lambda f: decode_qr(f, "classic"), repeat)
        aruco_ms, aruco_ok = _ms_per_frame(codes, lambda f: decode_qr(f, "aruco"), repeat)
        auto_ms, auto_ok = _ms_per_frame(codes, lambda f: decode_qr(f, "auto"), repeat)
        total = len(codes)
        yield BenchResult.compare(
            "camera.qr_decode_aruco_ms", aruco_ms, "ms", classic_ms,
            f"baseline: cv2.QRCodeDetector; decoded aruco {aruco_ok}/{total}, classic {classic_ok}/{total}",
        )  # fmt: skip
        yield BenchResult.compare(
            "camera.qr_decode_auto_ms", auto_ms, "ms", classic_ms,
            f"baseline: cv2.QRCodeDetector; auto decoded {auto_ok}/{total}",
        )  # fmt: skip
        empty = [blank_frame(), *scene_frames("face", "", 2)[:3]]
        classic_empty, _ = _ms_per_frame(empty, lambda f: decode_qr(f, "classic"), repeat * 3)
        auto_empty, _ = _ms_per_frame(empty, lambda f: decode_qr(f, "auto"), repeat * 3)
        yield BenchResult.compare(
            "camera.qr_no_code_auto_ms", auto_empty, "ms", classic_empty,
            "frames without a code (what a scanner mostly sees); baseline: cv2.QRCodeDetector",
        )  # fmt: skip

        yield _delivered_rate(video, Path(tmp), 0.6 if quick else 2.0)


def _delivered_rate(video: Path, data_dir: Path, seconds: float) -> BenchResult:
    from kiosk.config import CameraConfig
    from kiosk.devices.base import EventHub
    from kiosk.devices.camera import Camera

    fps = 30.0
    camera = Camera(CameraConfig(mode="file", source=str(video), fps=fps), EventHub(), data_dir)
    camera.start()
    try:
        first = camera.wait_frame(0, timeout=5)
        time.sleep(seconds)
        last = camera.latest()
    finally:
        camera.stop()
    if first is None or last is None or last.seq == first.seq:
        return BenchResult("camera.capture_delivered_fps", 0.0, "fps", fps, 0.0, "no frames")
    rate = (last.seq - first.seq) / (last.at - first.at)
    return BenchResult.compare(
        "camera.capture_delivered_fps", rate, "fps", fps, "baseline: configured fps (file source)"
    )
