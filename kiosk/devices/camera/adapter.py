"""The camera adapter: XFS4IoT health, lost/regained events, frames and scans for the app."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import CameraConfig
from kiosk.devices.base import (
    Device,
    DeviceError,
    DeviceHealth,
    DeviceState,
    EventHub,
    EventKind,
    SelfTestResult,
)
from kiosk.devices.camera.capture import CaptureLoop, Frame, LatestFrame, RateMeter
from kiosk.devices.camera.face import FaceCheck, FaceCode, FaceRules
from kiosk.devices.camera.sources import FrameSource, V4L2Source, file_source

log = logging.getLogger(__name__)

# With no new frame for this long the camera is hung even if the driver has not said so.
STALE_MIN_S = 2.0
STALE_FRAMES = 5  # … or for this many frame periods, whichever is longer


@dataclass(frozen=True)
class FaceScan:
    """Outcome of Camera.scan_face. `jpeg` is set only when check.ok; the caller seals it
    into the platform request and drops it (it is the resident's face)."""

    check: FaceCheck
    jpeg: bytes | None = None
    frames: int = 0


class Camera(Device):
    kind = "camera"

    def __init__(
        self,
        config: CameraConfig,
        events: EventHub,
        data_dir: Path | None = None,
        *,
        make_source: Callable[[], FrameSource] | None = None,
    ) -> None:
        super().__init__(events)
        self.config = config
        self.data_dir = Path(data_dir or "~/.local/share/kiosk").expanduser()
        self.rules = FaceRules(
            config.face_min_width_ratio,
            config.face_max_centre_offset,
            config.face_min_sharpness,
            config.face_min_brightness,
        )
        self._make_source = make_source or self._configured_source
        self._latest = LatestFrame()
        self._meter = RateMeter()
        self._lock = threading.Lock()
        self._state = DeviceState.OFFLINE
        self._message = "not started"
        self._source = self._describe_config()
        self._ever_online = False
        self._reconnects = 0
        self._opened_at = 0.0
        self._loop = CaptureLoop(
            self._make_source,
            config.fps,
            self,
            self._latest,
            self._meter,
            retry_s=config.reconnect_s,
        )

    # -- source selection (runs in the capture thread) ----------------------------------

    def _describe_config(self) -> str:
        if self.config.mode == "emulated":
            return f"emulated:{self.config.emulated_scene}"
        if self.config.mode == "v4l2":
            return f"v4l2:{self.config.source}"
        return f"file:{self.config.source}"

    def _configured_source(self) -> FrameSource:
        cfg = self.config
        if cfg.mode == "v4l2":
            return V4L2Source(cfg.source, cfg.width, cfg.height, cfg.fps)
        if cfg.mode == "file":
            return file_source(cfg.source)
        if cfg.mode == "emulated":
            from kiosk.devices.camera.synthetic import emulated_video

            path = emulated_video(
                self.data_dir,
                cfg.emulated_scene,
                cfg.emulated_qr_text,
                cfg.width,
                cfg.height,
                cfg.fps,
            )
            return file_source(path)
        raise DeviceError("camera_off", f"camera mode {cfg.mode!r} has no source")

    # -- Device ------------------------------------------------------------------------

    def start(self) -> None:
        """Returns at once; the thread opens the camera and keeps reconnecting."""
        with self._lock:
            if self._state == DeviceState.OFFLINE:
                self._message = "starting"
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()
        self._latest.clear()  # the last frame may show the resident
        with self._lock:
            self._state, self._message = DeviceState.OFFLINE, "stopped"

    def health(self) -> DeviceHealth:
        with self._lock:
            state, message = self._state, self._message
        frame = self._latest.get()
        age = None if frame is None else time.monotonic() - frame.at
        stale_after = max(STALE_MIN_S, STALE_FRAMES / self.config.fps)
        if state == DeviceState.ONLINE and (age is None or age > stale_after):
            with self._lock:
                opened_for = time.monotonic() - self._opened_at
            if frame is not None or opened_for > stale_after:
                state = DeviceState.HARDWARE_ERROR
                message = f"no frame for {age if age is not None else opened_for:.1f} s"
        details = {
            "mode": self.config.mode,
            "source": self._source,
            "resolution": None if frame is None else "{}x{}".format(*frame.size),
            "requested_fps": self.config.fps,
            "measured_fps": round(self._meter.rate(), 2),
            "frames_delivered": self._loop.frames_delivered,
            "last_frame_age_s": None if age is None else round(age, 3),
            "reconnects": self._reconnects,
        }
        return DeviceHealth(self.kind, state, message, details)

    def self_test(self, timeout: float = 3.0) -> SelfTestResult:
        """Wait for a fresh frame; a missing camera is retried at once and reported as soon
        as that attempt fails, not after the whole timeout."""
        if not self._loop.running:
            self.start()
        last = self._latest.get()
        attempts = self._loop.attempts
        self._loop.poke()
        deadline = time.monotonic() + timeout
        frame = None
        while (left := deadline - time.monotonic()) > 0:
            frame = self._latest.wait_newer(last.seq if last else 0, min(0.1, left))
            if frame is not None:
                break
            with self._lock:
                bad = self._state in (DeviceState.NO_DEVICE, DeviceState.HARDWARE_ERROR)
            if bad and self._loop.attempts > attempts:
                break
        health = self.health()
        if frame is None:
            return SelfTestResult(
                self.kind, False, f"no frame ({health.state}: {health.message})", health.details
            )
        w, h = frame.size
        return SelfTestResult(self.kind, True, f"frame {w}x{h} from {self._source}", health.details)

    # -- CaptureListener (called from the capture thread) -------------------------------

    def source_opened(self, description: str) -> None:
        with self._lock:
            previous = self._state
            self._source = description
            self._state, self._message = DeviceState.ONLINE, ""
            self._opened_at = time.monotonic()
            # Regained: it was reported missing or failed (a stop/start is not a reconnect).
            regained = previous in (DeviceState.NO_DEVICE, DeviceState.HARDWARE_ERROR)
            self._reconnects += 1 if regained and self._ever_online else 0
            self._ever_online = True
        log.info("camera online: %s", description)
        self.emit(EventKind.STATUS_CHANGED, state=str(DeviceState.ONLINE), previous=str(previous))
        if regained:
            self.emit(EventKind.DEVICE_REGAINED, source=description)

    def source_unavailable(self, exc: Exception, missing: bool) -> None:
        # Never seen: noDevice. Seen and then gone: hardwareError until it comes back,
        # because staff must know a camera that was working has failed.
        with self._lock:
            previous = self._state
            if self._ever_online:
                state = DeviceState.HARDWARE_ERROR
            else:
                state = DeviceState.NO_DEVICE if missing else DeviceState.HARDWARE_ERROR
            changed = state != previous or str(exc) != self._message
            self._state, self._message = state, str(exc)
        if state != previous:
            log.warning("camera %s: %s", state, exc)
            self.emit(EventKind.STATUS_CHANGED, state=str(state), previous=str(previous))
            if previous == DeviceState.ONLINE:
                self.emit(EventKind.DEVICE_LOST, state=str(state), reason=str(exc))
        elif changed:
            log.debug("camera still %s: %s", state, exc)

    # -- frames for the app -------------------------------------------------------------

    def latest(self) -> Frame | None:
        """The newest frame, or None when the camera is not delivering. Never blocks."""
        return self._latest.get()

    def wait_frame(self, after_seq: int = 0, timeout: float = 1.0) -> Frame | None:
        """A frame newer than after_seq (pass the last frame's seq), waiting up to timeout."""
        return self._latest.wait_newer(after_seq, timeout)

    def snapshot(self, timeout: float = 3.0) -> Frame:
        last = self._latest.get()
        frame = self._latest.wait_newer(last.seq if last else 0, timeout)
        if frame is None:
            health = self.health()
            raise DeviceError(
                "camera_no_frame",
                f"no camera frame within {timeout:g} s ({health.state}: {health.message})",
                state=health.state,
            )
        return frame

    def scan_face(
        self,
        timeout: float = 15.0,
        on_check: Callable[[FaceCheck], object] | None = None,
        cancel: threading.Event | None = None,
        jpeg_quality: int = 90,
    ) -> FaceScan:
        """Check frames until one passes, the timeout expires or `cancel` is set.

        Call from a worker thread. `on_check` gets every result so the screen can coach the
        resident ("come closer"). The last result comes back with jpeg=None when none passed.
        """
        from kiosk.devices.camera.face import check_face, encode_jpeg

        deadline = time.monotonic() + timeout
        seq, frames = 0, 0
        check = FaceCheck(FaceCode.NO_FACE)
        while time.monotonic() < deadline and not (cancel and cancel.is_set()):
            frame = self._latest.wait_newer(seq, min(0.5, max(0.0, deadline - time.monotonic())))
            if frame is None:
                continue
            seq, frames = frame.seq, frames + 1
            check = check_face(frame.image, self.rules)
            if on_check is not None:
                on_check(check)
            if check.ok:
                return FaceScan(check, encode_jpeg(frame.image, jpeg_quality), frames)
        return FaceScan(check, None, frames)

    def scan_qr(self, timeout: float = 30.0, cancel: threading.Event | None = None) -> str | None:
        """Decode frames until a QR code is read, the timeout expires or `cancel` is set."""
        from kiosk.devices.camera.qr import decode_qr

        deadline = time.monotonic() + timeout
        seq = 0
        while time.monotonic() < deadline and not (cancel and cancel.is_set()):
            frame = self._latest.wait_newer(seq, min(0.5, max(0.0, deadline - time.monotonic())))
            if frame is None:
                continue
            seq = frame.seq
            text = decode_qr(frame.image)
            if text:
                return text
        return None
