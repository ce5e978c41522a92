"""Camera capture: frames from a video file and an image folder, missing and vanishing
cameras, recovery, the emulated camera, and lazy OpenCV import."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.config import CameraConfig, KioskConfig
from kiosk.devices.base import DeviceEvent, DeviceState, EventHub, EventKind
from kiosk.devices.camera import Camera, create
from kiosk.devices.camera import adapter as camera_adapter
from kiosk.devices.camera.sources import SourceFailed
from kiosk.devices.camera.synthetic import face_frame, write_image_folder, write_video

W, H = 320, 240


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def grey_frames(n: int) -> list[np.ndarray]:
    """Frames whose grey level tells their position: 20, 40, 60 …"""
    return [np.full((H, W, 3), 20 * (i + 1), np.uint8) for i in range(n)]


@pytest.fixture
def events() -> tuple[EventHub, list[DeviceEvent]]:
    hub, seen = EventHub(), []
    hub.subscribe(seen.append)
    return hub, seen


@pytest.fixture
def camera_factory(tmp_path: Path):
    cameras: list[Camera] = []

    def make(hub: EventHub, **config) -> Camera:
        config.setdefault("reconnect_s", 0.1)
        kw = config.pop("_kw", {})
        cam = Camera(CameraConfig(**config), hub, tmp_path / "data", **kw)
        cameras.append(cam)
        return cam

    yield make
    for cam in cameras:
        cam.stop()


def collect(cam: Camera, count: int, timeout: float = 10.0) -> list:
    frames, seq = [], 0
    deadline = time.monotonic() + timeout
    while len(frames) < count and time.monotonic() < deadline:
        frame = cam.wait_frame(seq, timeout=1.0)
        if frame is not None:
            frames.append(frame)
            seq = frame.seq
    return frames


def kinds(seen: list[DeviceEvent]) -> list[EventKind]:
    return [e.kind for e in seen]


def test_video_file_frames_are_delivered_and_loop(tmp_path, events, camera_factory):
    hub, seen = events
    video = write_video(tmp_path / "clip.avi", grey_frames(6), fps=30)
    cam = camera_factory(hub, mode="file", source=str(video), fps=30)
    cam.start()
    frames = collect(cam, 15)  # more than the 6 in the file: it loops
    assert len(frames) == 15
    seqs = [f.seq for f in frames]
    assert seqs == sorted(set(seqs))
    for f in frames:  # the file plays in order and loops: frame n is picture (n - 1) mod 6
        assert round(f.image.mean() / 20) == (f.seq - 1) % 6 + 1
    assert all(f.size == (W, H) for f in frames)
    health = cam.health()
    assert health.state == DeviceState.ONLINE
    assert health.details["resolution"] == f"{W}x{H}"
    assert health.details["frames_delivered"] >= 15
    assert health.details["source"] == f"file:{video}"
    assert health.details["measured_fps"] > 0
    assert kinds(seen) == [EventKind.STATUS_CHANGED]


def test_image_folder_plays_images_in_name_order(tmp_path, events, camera_factory):
    hub, _ = events
    folder = write_image_folder(tmp_path / "frames", grey_frames(4))
    cam = camera_factory(hub, mode="file", source=str(folder), fps=30)
    cam.start()
    frames = collect(cam, 10)
    assert len(frames) == 10
    # Frame n (counting from 1) is image (n - 1) mod 4: name order, looping, none skipped
    # by the source even if this reader misses some.
    for f in frames:
        assert round(f.image.mean()) == 20 * ((f.seq - 1) % 4 + 1)
    assert max(f.seq for f in frames) > 4
    assert cam.health().details["source"] == f"folder:{folder}"


def test_rate_is_paced_to_configured_fps_not_file_speed(tmp_path, events, camera_factory):
    hub, _ = events
    video = write_video(tmp_path / "clip.avi", grey_frames(6), fps=30)
    cam = camera_factory(hub, mode="file", source=str(video), fps=10)
    cam.start()
    first = cam.wait_frame(0, timeout=5)
    assert first is not None
    frames = collect(cam, 5)
    # A file is played at the configured 10 fps, not as fast as it decodes: consecutive
    # frames are never much closer than 1/10 s (load can only make them further apart).
    times = [first.at, *[f.at for f in frames]]
    seqs = [first.seq, *[f.seq for f in frames]]
    assert (times[-1] - times[0]) / (seqs[-1] - seqs[0]) > 0.07


class BlockingSource:
    """A driver whose open() hangs until released (as a wedged USB camera can)."""

    paced_by_reader = True
    description = "test:blocking"

    def __init__(self, release: threading.Event) -> None:
        self.release = release

    def open(self) -> None:
        self.release.wait(10)
        raise SourceFailed("still wedged")

    def read(self):
        raise SourceFailed("never opened")

    def close(self) -> None:
        pass


def test_start_never_waits_for_the_camera_to_open(events, camera_factory):
    hub, _ = events
    release = threading.Event()
    cam = camera_factory(hub, mode="v4l2", _kw={"make_source": lambda: BlockingSource(release)})
    cam.start()  # returns although open() is hanging in the capture thread
    assert not release.is_set()
    assert cam.health().state == DeviceState.OFFLINE
    assert cam.latest() is None
    release.set()
    assert wait_for(lambda: cam.health().state == DeviceState.HARDWARE_ERROR)


def test_missing_v4l2_device_reports_no_device(events, camera_factory):
    hub, seen = events
    missing = "/dev/video97"
    assert not Path(missing).exists()
    cam = camera_factory(hub, mode="v4l2", source="97")
    cam.start()
    assert wait_for(lambda: cam.health().state == DeviceState.NO_DEVICE)
    health = cam.health()
    assert missing in health.message
    assert health.details["frames_delivered"] == 0
    result = cam.self_test(timeout=3)
    assert not result.passed and "noDevice" in result.message
    # never seen, so never "lost"
    assert EventKind.DEVICE_LOST not in kinds(seen)


def test_missing_file_then_appears_is_regained(tmp_path, events, camera_factory):
    hub, seen = events
    video = tmp_path / "later.avi"
    cam = camera_factory(hub, mode="file", source=str(video), fps=30)
    cam.start()
    assert wait_for(lambda: cam.health().state == DeviceState.NO_DEVICE)
    write_video(video, grey_frames(3), fps=30)
    assert wait_for(lambda: cam.health().state == DeviceState.ONLINE)
    assert cam.wait_frame(0, timeout=5) is not None
    assert EventKind.DEVICE_REGAINED in kinds(seen)


@pytest.mark.parametrize("kind", ["video", "folder"])
def test_camera_vanishing_is_hardware_error_and_recovers(tmp_path, events, camera_factory, kind):
    hub, seen = events
    if kind == "video":
        path = write_video(tmp_path / "clip.avi", grey_frames(4), fps=30)
    else:
        path = write_image_folder(tmp_path / "frames", grey_frames(4))
    cam = camera_factory(hub, mode="file", source=str(path), fps=30)
    cam.start()
    assert cam.wait_frame(0, timeout=5) is not None
    away = path.with_name("unplugged")
    path.rename(away)
    assert wait_for(lambda: cam.health().state == DeviceState.HARDWARE_ERROR)
    assert cam.latest() is None  # no stale frame is served while the camera is away
    assert wait_for(lambda: EventKind.DEVICE_LOST in kinds(seen))
    lost = next(e for e in seen if e.kind == EventKind.DEVICE_LOST)
    assert lost.device == "camera" and lost.detail["state"] == "hardwareError"
    assert not cam.self_test(timeout=2).passed

    away.rename(path)
    assert wait_for(lambda: cam.health().state == DeviceState.ONLINE)
    assert wait_for(lambda: EventKind.DEVICE_REGAINED in kinds(seen))
    before = cam.latest()
    assert cam.wait_frame(before.seq if before else 0, timeout=5) is not None
    assert cam.health().details["reconnects"] == 1
    assert cam.self_test(timeout=3).passed


class FlakySource:
    """Delivers frames, then fails every read (a driver error on a present device)."""

    paced_by_reader = True
    description = "test:flaky"

    def __init__(self, good: int) -> None:
        self.good = good

    def open(self) -> None:
        pass

    def read(self):
        if self.good <= 0:
            raise SourceFailed("VIDIOC_DQBUF: input/output error")
        self.good -= 1
        return np.zeros((H, W, 3), np.uint8)

    def close(self) -> None:
        pass


def test_read_errors_are_hardware_error_with_lost_event(events, camera_factory):
    hub, seen = events
    budget = iter([5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + [10**6] * 1000)
    cam = camera_factory(
        hub, mode="v4l2", fps=30, _kw={"make_source": lambda: FlakySource(next(budget))}
    )
    cam.start()
    assert wait_for(lambda: EventKind.DEVICE_LOST in kinds(seen))
    assert (
        "input/output error"
        in next(e for e in seen if e.kind == EventKind.DEVICE_LOST).detail["reason"]
    )
    assert wait_for(lambda: EventKind.DEVICE_REGAINED in kinds(seen), timeout=10)
    assert wait_for(lambda: cam.health().state == DeviceState.ONLINE)


def test_frames_stopping_makes_health_hardware_error(monkeypatch, events, camera_factory):
    hub, _ = events
    monkeypatch.setattr(camera_adapter, "STALE_MIN_S", 0.3)
    stuck = threading.Event()

    class Stuck(FlakySource):
        def read(self):
            if self.good <= 0:
                stuck.wait(5)  # hangs until the test ends
                raise SourceFailed("released")
            return super().read()

    cam = camera_factory(hub, mode="v4l2", fps=30, _kw={"make_source": lambda: Stuck(3)})
    cam.start()
    assert cam.wait_frame(0, timeout=5) is not None
    assert wait_for(lambda: cam.health().state == DeviceState.HARDWARE_ERROR)
    assert "no frame for" in cam.health().message
    stuck.set()


def test_emulated_camera_is_generated_once_and_serves_face_and_qr(tmp_path):
    hub = EventHub()
    face_cam = create(CameraConfig(mode="emulated", emulated_scene="face"), hub, tmp_path)
    face_cam.start()
    try:
        assert face_cam.self_test(timeout=10).passed
        scan = face_cam.scan_face(timeout=5)
        assert scan.check.ok
        assert scan.jpeg is not None and scan.jpeg[:2] == b"\xff\xd8"
        decoded = cv2.imdecode(np.frombuffer(scan.jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert decoded.shape == (480, 640, 3)
    finally:
        face_cam.stop()
    videos = list((tmp_path / "camera").glob("*.avi"))
    assert len(videos) == 1
    mtime = videos[0].stat().st_mtime_ns

    again = create(CameraConfig(mode="emulated", emulated_scene="face"), hub, tmp_path)
    again.start()
    try:
        assert again.self_test(timeout=10).passed
    finally:
        again.stop()
    assert videos[0].stat().st_mtime_ns == mtime  # cached, not rewritten

    qr_cam = create(
        CameraConfig(mode="emulated", emulated_scene="qr", emulated_qr_text="办事码-0042"),
        hub,
        tmp_path,
    )
    qr_cam.start()
    try:
        assert qr_cam.scan_qr(timeout=10) == "办事码-0042"
    finally:
        qr_cam.stop()
    assert qr_cam.latest() is None  # stop() drops the last frame


def test_scan_face_reports_each_check_and_honours_cancel(tmp_path, events, camera_factory):
    hub, _ = events
    # A face too far away: never ok, so scan_face ends on the cancel event.
    folder = write_image_folder(tmp_path / "far", [face_frame(size=90)])
    cam = camera_factory(hub, mode="file", source=str(folder), fps=30)
    cam.start()
    cancel = threading.Event()
    codes = []

    def on_check(check):
        codes.append(check.code)
        if len(codes) >= 3:
            cancel.set()

    scan = cam.scan_face(timeout=30, on_check=on_check, cancel=cancel)
    assert scan.jpeg is None
    assert str(scan.check.code) == "too_small"
    assert len(codes) >= 3 and scan.frames == len(codes)


def test_services_create_the_camera_from_config(tmp_path):
    from kiosk.services import create_device

    config = KioskConfig.model_validate(
        {
            "terminal": {"data_dir": str(tmp_path)},
            "devices": {"camera": {"mode": "v4l2", "source": "/dev/video98"}},
        }
    )
    cam = create_device("camera", config, EventHub())
    assert isinstance(cam, Camera) and cam.kind == "camera"
    off = config.model_copy(deep=True)
    off.devices.camera.mode = "off"
    assert create_device("camera", off, EventHub()) is None


def test_importing_the_camera_package_loads_neither_opencv_nor_textual():
    code = (
        "import sys, kiosk.devices.camera, kiosk.devices.camera.face, kiosk.devices.camera.qr;"
        "print(sorted(m for m in ('cv2', 'numpy', 'textual', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_stop_and_start_again_is_not_a_reconnect(tmp_path, events, camera_factory):
    hub, seen = events
    video = write_video(tmp_path / "clip.avi", grey_frames(3), fps=30)
    cam = camera_factory(hub, mode="file", source=str(video), fps=30)
    cam.start()
    assert cam.wait_frame(0, timeout=5) is not None
    cam.stop()
    assert cam.health().state == DeviceState.OFFLINE and cam.latest() is None
    cam.start()
    assert cam.self_test(timeout=5).passed
    assert cam.health().details["reconnects"] == 0
    assert EventKind.DEVICE_REGAINED not in kinds(seen)
    assert EventKind.DEVICE_LOST not in kinds(seen)
